-- dimensions: the values of each custom dimension (`collector dimension add`), most visits
-- first. $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit, $5 one
-- dimension id (NULL: every dimension).
--
-- Visit scope: visits with the value (the last one the visit sent on its first day) and their
-- actions. Action scope: actions that carried it, and per day the visits with one. Values are
-- trimmed and cut to 250 characters. "(others)": values seen in too few visits of a day whose
-- raw data is gone.
SELECT a.dimension_id, min(d.name) AS dimension, min(d.scope) AS scope, a.value,
       sum(a.visits)::bigint AS visits, sum(a.actions)::bigint AS actions
FROM agg_dimensions a
LEFT JOIN dimensions d ON d.dimension_id = a.dimension_id
WHERE a.site_id = $1 AND a.day BETWEEN $2::date AND $3::date
  AND ($5::integer IS NULL OR a.dimension_id = $5::integer)
GROUP BY a.dimension_id, a.value
HAVING sum(a.visits) > 0 OR sum(a.actions) > 0
ORDER BY a.dimension_id, visits DESC, actions DESC, a.value COLLATE "C"
LIMIT $4;
