-- Site totals. $1 day. Never folded: totals single no one out.
INSERT INTO agg_site_days AS a (site_id, day, visits, actions, pageviews, bounces, visit_seconds)
SELECT h.site_id, $1::date,
       coalesce(v.visits, 0), h.actions, h.pageviews,
       coalesce(v.bounces, 0), coalesce(v.seconds, 0)
FROM (SELECT site_id,
             count(*) FILTER (WHERE action <> 'ping') AS actions,
             count(*) FILTER (WHERE action = 'pageview') AS pageviews
      FROM rollup_hits GROUP BY site_id) h
LEFT JOIN (SELECT site_id, count(*) AS visits, count(*) FILTER (WHERE actions = 1) AS bounces,
                  sum(seconds) AS seconds
           FROM rollup_visits GROUP BY site_id) v USING (site_id)
-- Conflicts only if a day's partition came back after its roll-up (late back-dated hits):
-- its rows then add to what was rolled up before.
ON CONFLICT (site_id, day) DO UPDATE SET
    visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
    pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
    visit_seconds = a.visit_seconds + excluded.visit_seconds;
