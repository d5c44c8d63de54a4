-- Reference: contents. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).action, (v.hit).content_name AS name,
           coalesce((v.hit).content_piece, '') AS piece,
           coalesce(strip_url((v.hit).content_target), '') AS target,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action IN ('content_impression', 'content_interaction')
      AND (v.hit).content_name IS NOT NULL
), per_day AS (
    SELECT day, name, piece, target,
           count(*) FILTER (WHERE action = 'content_impression') AS impressions,
           count(*) FILTER (WHERE action = 'content_interaction') AS interactions,
           count(DISTINCT (session_id, visit_no)) AS visits
    FROM hits WHERE day BETWEEN $2::date AND $3::date
    GROUP BY day, name, piece, target
)
SELECT name, nullif(piece, '') AS piece, nullif(target, '') AS target,
       sum(impressions)::bigint AS impressions, sum(interactions)::bigint AS interactions,
       round(100.0 * sum(interactions) / nullif(sum(impressions), 0), 1) AS interaction_rate,
       sum(visits)::bigint AS visits
FROM per_day GROUP BY name, piece, target
ORDER BY impressions DESC, interactions DESC, name COLLATE "C", piece COLLATE "C",
         target COLLATE "C"
LIMIT $4;
