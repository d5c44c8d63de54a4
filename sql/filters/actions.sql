-- The filtered dashboard's visit numbers for one filter by what visits did (a page viewed,
-- an event category, a goal) from agg_visit_actions (migration 013), for any period, with
-- the visit-value filters of facets.sql ($4 … $11); $12 kind ('page', 'event', 'goal'),
-- $13 its value. group.sql follows it.
WITH f AS (
    SELECT day, hour, ref_type, ref_name, campaign, browser, os, device, country, entry_page,
           visits, actions, pageviews, bounces, visit_seconds
    FROM agg_visit_actions
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND kind = $12 AND value = $13
      AND ($4::text IS NULL OR ref_type = $4) AND ($5::text IS NULL OR ref_name = $5)
      AND ($6::text IS NULL OR campaign = $6) AND ($7::text IS NULL OR browser = $7)
      AND ($8::text IS NULL OR os = $8) AND ($9::text IS NULL OR device = $9)
      AND ($10::text IS NULL OR country = $10) AND ($11::text IS NULL OR entry_page = $11)
)
