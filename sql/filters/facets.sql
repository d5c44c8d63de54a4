-- The filtered dashboard's visit numbers, from the visit facets (migration 013), for any
-- period; group.sql follows it.
-- $1 site id, $2 first day, $3 last day (inclusive; local days); the filters, NULL for none,
-- '' for "none/unknown": $4 channel (ref_type), $5 source (ref_name), $6 campaign name,
-- $7 browser, $8 os, $9 device, $10 country, $11 entry page. They combine (AND).
WITH f AS (
    SELECT *
    FROM agg_visit_facets
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
      AND ($4::text IS NULL OR ref_type = $4) AND ($5::text IS NULL OR ref_name = $5)
      AND ($6::text IS NULL OR campaign = $6) AND ($7::text IS NULL OR browser = $7)
      AND ($8::text IS NULL OR os = $8) AND ($9::text IS NULL OR device = $9)
      AND ($10::text IS NULL OR country = $10) AND ($11::text IS NULL OR entry_page = $11)
)
