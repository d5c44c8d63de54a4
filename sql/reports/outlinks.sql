-- outlinks: links followed to other sites (Matomo's `link`), per target URL, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- The URL is shown without query string, fragment and user:password@ (strip_url): they
-- can carry tokens or personal data, and would split one target into many rows.
-- visits: per day, the visits with that outlink, summed over days. "(others)": targets
-- seen in too few visits of a rolled-up day.
-- Shape: additive `per_day`, one row per UTC day and URL: raw hits for days still kept,
-- agg_targets for days rolled up (each day is in exactly one of the two).
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).target_url
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
    WHERE (v.hit).action = 'outlink'
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, strip_url(target_url) AS url,
           count(*) AS clicks, count(DISTINCT (session_id, visit_no)) AS visits
    FROM hits
    WHERE target_url IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT day, target, hits, visits
    FROM agg_targets
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND kind = 'outlink'
)
SELECT url, sum(clicks)::bigint AS clicks, sum(visits)::bigint AS visits
FROM per_day
GROUP BY url
ORDER BY clicks DESC, url COLLATE "C"
LIMIT $4;
