-- Reference: outlinks. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           strip_url((v.hit).target_url) AS url
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action = 'outlink' AND (v.hit).target_url IS NOT NULL
), per_day AS (
    SELECT day, url, count(*) AS hits, count(DISTINCT (session_id, visit_no)) AS visits
    FROM hits WHERE day BETWEEN $2::date AND $3::date GROUP BY 1, 2
)
SELECT url, sum(hits)::bigint AS clicks, sum(visits)::bigint AS visits
FROM per_day GROUP BY url ORDER BY clicks DESC, url COLLATE "C" LIMIT $4;
