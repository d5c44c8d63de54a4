-- Site totals per local hour: a visit in the hour it started (with its bounce and duration),
-- pageviews and actions in their own hour. A bounce is a visit with at most one action, as
-- Matomo counts it (a visit made only of, say, a goal request has none). Never folded: totals single no one out.
-- Every aggregate step has this shape: the change (what the visits add now, minus what they
-- added before) per key, then one MERGE that adds it, and deletes a row that comes to zero,
-- so an erased or re-cut visit leaves no row behind, not even its label.
MERGE INTO agg_site_hours a
USING (
    SELECT site_id, day, hour, sum(visits) AS visits, sum(actions) AS actions,
           sum(pageviews) AS pageviews, sum(bounces) AS bounces, sum(seconds) AS seconds
    FROM (
        SELECT site_id, day, hour, sign AS visits, 0 AS actions, 0 AS pageviews,
               sign * (actions <= 1)::int AS bounces, sign * seconds AS seconds
        FROM r_visits
        UNION ALL
        SELECT site_id, day, hour, 0, sign * is_action(action)::int,
               sign * (action = 'pageview')::int, 0, 0
        FROM r_vhits
    ) c
    GROUP BY site_id, day, hour
    HAVING sum(visits) <> 0 OR sum(actions) <> 0 OR sum(pageviews) <> 0 OR sum(bounces) <> 0
        OR sum(seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.hour = d.hour
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
WHEN NOT MATCHED THEN INSERT (site_id, day, hour, visits, actions, pageviews, bounces,
                              visit_seconds)
    VALUES (d.site_id, d.day, d.hour, d.visits, d.actions, d.pageviews, d.bounces, d.seconds);
