-- events: tracked events (e_c, e_a, e_n) per category, action and name, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- visits: per day, the visits with that event, summed over days (Matomo's nb_visits);
-- value: the sum of e_v over the events that had one (null when none had).
-- "(others)": combinations seen in too few visits of a rolled-up day.
-- Shape: additive `per_day`, one row per UTC day and event: raw hits for days still kept,
-- agg_events for days rolled up (each day is in exactly one of the two). The value is kept
-- as a sum and a count of the events that carried one, so "none had" survives the sum.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).event_category,
           (v.hit).event_action, (v.hit).event_name, (v.hit).event_value
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
    WHERE (v.hit).action = 'event'
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, event_category AS category,
           event_action AS action, event_name AS name,
           count(*) AS events, count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(event_value), 0) AS value_sum, count(event_value) AS value_count
    FROM hits
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT day, category, action, name, events, visits, value_sum, value_count
    FROM agg_events
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT category, action, name, sum(events)::bigint AS events, sum(visits)::bigint AS visits,
       CASE WHEN sum(value_count) > 0 THEN sum(value_sum) END AS value
FROM per_day
GROUP BY category, action, name
ORDER BY events DESC, category COLLATE "C", action COLLATE "C", name COLLATE "C" NULLS FIRST
LIMIT $4;
