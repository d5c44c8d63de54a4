-- The filtered dashboard's visit numbers for filters by several things visits did (viewed a
-- page, sent an event of a category, converted a goal: "/ and Video"), from the raw visits
-- (migration 014): the visits that did all of them, by the index of what each did. They
-- exist as long as raw hits do, so the caller passes only days those cover whole.
-- group.sql follows it. $4 … $11 as in facets.sql; $12 the things, as raw_visits.did holds
-- them ('page:/news', 'event:Video', 'goal:2').
WITH f AS (
    SELECT day, hour, ref_type, ref_name, campaign, browser, os, device, country, entry_page,
           1 AS visits, actions, pageviews, (actions <= 1)::int AS bounces,
           seconds AS visit_seconds
    FROM raw_visits
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND did @> $12::text[]
      -- the hourly partitions that can hold those local days (UTC offsets are -12 … +14 h)
      AND started_at >= $2::date - 1 AND started_at < $3::date + 2
      AND ($4::text IS NULL OR ref_type = $4) AND ($5::text IS NULL OR ref_name = $5)
      AND ($6::text IS NULL OR campaign = $6) AND ($7::text IS NULL OR browser = $7)
      AND ($8::text IS NULL OR os = $8) AND ($9::text IS NULL OR device = $9)
      AND ($10::text IS NULL OR country = $10) AND ($11::text IS NULL OR entry_page = $11)
)
