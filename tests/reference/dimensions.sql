-- Reference: dimensions. $1 site, $2 first, $3 last day, $4 limit, $5 dimension.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).dimensions, ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), starts AS (
    SELECT session_id, visit_no, day AS start_day FROM hits WHERE visit_start
), visit_values AS (
    SELECT s.session_id, s.visit_no, s.start_day, substr(d.key, 2)::integer AS dimension_id,
           (array_agg(d.value ORDER BY h.ts DESC, h.tie DESC))[1] AS value
    FROM starts s
    JOIN hits h ON h.session_id = s.session_id AND h.visit_no = s.visit_no
               AND h.day = s.start_day AND h.dimensions IS NOT NULL
    CROSS JOIN LATERAL jsonb_each_text(h.dimensions) d
    WHERE d.key LIKE 'v%'
    GROUP BY s.session_id, s.visit_no, s.start_day, d.key
), visit_rows AS (
    SELECT v.dimension_id, v.value, 1 AS visits,
           (SELECT count(*) FROM hits h WHERE h.session_id = v.session_id
              AND h.visit_no = v.visit_no AND h.day = v.start_day AND is_action(h.action))
               AS actions
    FROM visit_values v WHERE v.start_day BETWEEN $2::date AND $3::date
), action_rows AS (
    SELECT substr(d.key, 2)::integer AS dimension_id, d.value,
           count(DISTINCT (h.session_id, h.visit_no)) AS visits, count(*) AS actions
    FROM hits h CROSS JOIN LATERAL jsonb_each_text(h.dimensions) d
    WHERE h.dimensions IS NOT NULL AND is_action(h.action) AND d.key LIKE 'a%'
      AND h.day BETWEEN $2::date AND $3::date
    GROUP BY h.day, d.key, d.value
), all_rows AS (
    SELECT * FROM visit_rows UNION ALL SELECT * FROM action_rows
)
SELECT r.dimension_id, min(d.name) AS dimension, min(d.scope) AS scope, r.value,
       sum(r.visits)::bigint AS visits, sum(r.actions)::bigint AS actions
FROM all_rows r LEFT JOIN dimensions d ON d.dimension_id = r.dimension_id
WHERE $5::integer IS NULL OR r.dimension_id = $5::integer
GROUP BY r.dimension_id, r.value
ORDER BY r.dimension_id, visits DESC, actions DESC, r.value COLLATE "C"
LIMIT $4;
