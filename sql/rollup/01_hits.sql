-- The day's hits of every site with visits marked, reduced to what aggregates may keep:
-- URL paths, stripped targets, no IP. $1 the UTC day. Values are derived exactly as the
-- reports derive them from raw hits (sql/reports/), so a day reads the same either way.
-- The session id stays only in this temporary table (to count distinct visits), which is
-- dropped at commit. Sites come from the hits themselves, not from `sites`: a day is
-- dropped whole, so a site missing from `sites` must be rolled up too.
CREATE TEMP TABLE rollup_hits ON COMMIT DROP AS
WITH bounds AS (
    SELECT $1::date::timestamp AT TIME ZONE 'UTC' AS lo,
           ($1::date + 1)::timestamp AT TIME ZONE 'UTC' AS hi
)
SELECT (v.hit).site_id, (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts,
       (v.hit).action,
       url_path((v.hit).url) AS page,
       (v.hit).title,
       strip_url((v.hit).target_url) AS target,
       coalesce((v.hit).ref_type, 'direct') AS ref_type, (v.hit).ref_name,
       (v.hit).campaign_name, (v.hit).campaign_source, (v.hit).campaign_medium,
       (v.hit).campaign_keyword, (v.hit).campaign_content,
       lower(btrim((v.hit).search_keyword)) AS search_keyword, (v.hit).search_count,
       (v.hit).event_category, (v.hit).event_action, (v.hit).event_name, (v.hit).event_value,
       (v.hit).browser, (v.hit).os, (v.hit).device
FROM bounds b
CROSS JOIN LATERAL (SELECT DISTINCT site_id FROM hits WHERE ts >= b.lo AND ts < b.hi) s
CROSS JOIN LATERAL visit_hits(s.site_id, b.lo, b.hi) v;
