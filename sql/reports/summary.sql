-- summary: the headline numbers of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; the site's local days).
--
-- As in Matomo: a visit counts on the day it starts; actions are pageviews, downloads,
-- outlinks, site searches and events (heartbeat pings are not actions, but extend the
-- visit's duration); a bounce is a visit with one action; duration is last hit - first hit,
-- in whole seconds. Visits are cut at local midnight: a visit's actions, bounce and duration
-- are over its hits of its first day; its hits after midnight still count as pageviews and
-- actions of the next day. Unique pageviews: per day, the visits that viewed a page, summed
-- over pages. Every report reads only aggregates (docs/aggregates.md): the roll-up keeps
-- them up to date within a minute, for every day.
WITH totals AS (
    SELECT sum(visits) AS visits, sum(pageviews) AS pageviews, sum(actions) AS actions,
           sum(bounces) AS bounces, sum(visit_seconds) AS seconds
    FROM agg_site_hours
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
), unique_views AS (
    SELECT sum(visits) AS unique_pageviews
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT coalesce(t.visits, 0)::bigint AS visits,
       coalesce(t.pageviews, 0)::bigint AS pageviews,
       coalesce(u.unique_pageviews, 0)::bigint AS unique_pageviews,
       coalesce(t.actions, 0)::bigint AS actions,
       round(100.0 * t.bounces / nullif(t.visits, 0), 1) AS bounce_rate,
       round(t.seconds / nullif(t.visits, 0))::bigint AS avg_visit_duration,
       round(t.actions::numeric / nullif(t.visits, 0), 1) AS actions_per_visit
FROM totals t, unique_views u;
