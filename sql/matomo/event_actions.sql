-- Events.getAction: events by action, most first, at most :limit; visits as in
-- event_categories.sql.
SELECT action AS label, sum(events)::bigint AS events, sum(visits)::bigint AS visits,
       sum(value_sum) AS value_sum, sum(value_count)::bigint AS value_count
FROM agg_events
WHERE site_id = :site AND day BETWEEN :first AND :last
GROUP BY action
HAVING sum(events) > 0
ORDER BY events DESC, action COLLATE "C"
LIMIT :limit;
