-- events: events by category, action and name, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- visits: per day, the visits with that event, summed over days. value: the sum of e_v, or
-- NULL when no event carried one. "(others)": a combination seen in too few visits of a
-- day whose raw data is gone (the name is free text).
SELECT category, action, nullif(name, '') AS name, sum(events)::bigint AS events,
       sum(visits)::bigint AS visits,
       CASE WHEN sum(value_count) > 0 THEN sum(value_sum) END AS value
FROM agg_events
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY category, action, name
HAVING sum(events) > 0
ORDER BY events DESC, category COLLATE "C", action COLLATE "C", nullif(name, '') COLLATE "C" NULLS FIRST
LIMIT $4;
