-- Events.getCategory: events by category, most first, at most :limit. visits: summed over
-- the category's (action, name) rows and days, as the aggregates keep them: a visit with two
-- different events of one category counts twice (the aggregates hold no visit ids).
SELECT category AS label, sum(events)::bigint AS events, sum(visits)::bigint AS visits,
       sum(value_sum) AS value_sum, sum(value_count)::bigint AS value_count
FROM agg_events
WHERE site_id = :site AND day BETWEEN :first AND :last
GROUP BY category
HAVING sum(events) > 0
ORDER BY events DESC, category COLLATE "C"
LIMIT :limit;
