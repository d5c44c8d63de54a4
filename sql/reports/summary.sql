-- summary: the headline numbers of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days).
--
-- As in Matomo: a visit counts on the day it starts; actions are pageviews, downloads,
-- outlinks, site searches and events (heartbeat pings are not actions, but extend the
-- visit's duration); a bounce is a visit with one action; duration is last hit - first hit,
-- in whole seconds. Visits are cut at midnight UTC, as the daily aggregates keep them: a
-- visit's actions, bounce and duration are over its hits of its first day; its hits after
-- midnight still count as pageviews and actions of the next day.
-- Unique pageviews: per day, the visits that viewed a page, summed over pages.
--
-- Shape: `per_day` holds additive columns only, one row per UTC day and source: raw hits for
-- days still kept, daily aggregates (agg_site_days, agg_pages) for days rolled up. A day's
-- roll-up and the drop of its partition are one transaction, so each day is in exactly one
-- source (docs/aggregates.md). The final SELECT sums them and computes the ratios.
-- visit_hits reads one site's partitions of the period through hits_site_session_ts
-- (site_id leads, partitions pruned by ts); the aggregates through their primary keys.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).url, ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    -- visits that start in the period; a visit started before it is counted there
    SELECT day, count(*) FILTER (WHERE action <> 'ping') AS actions,
           extract(epoch FROM max(ts) - min(ts))::bigint AS seconds
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, count(*) AS visits, count(*) FILTER (WHERE actions = 1) AS bounces,
           sum(seconds) AS seconds, 0 AS pageviews, 0 AS unique_pageviews, 0 AS actions
    FROM visits
    GROUP BY 1
    UNION ALL
    SELECT day, 0, 0, 0,
           count(*) FILTER (WHERE action = 'pageview'),
           count(DISTINCT (session_id, visit_no, url_path(url))) FILTER (WHERE action = 'pageview'),
           count(*) FILTER (WHERE action <> 'ping')
    FROM hits
    GROUP BY 1
    UNION ALL
    SELECT day, visits, bounces, visit_seconds, pageviews, 0, actions
    FROM agg_site_days
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    UNION ALL
    SELECT day, 0, 0, 0, 0, sum(visits), 0  -- visits that viewed a page, summed over pages
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY day
)
SELECT coalesce(sum(visits), 0)::bigint AS visits,
       coalesce(sum(pageviews), 0)::bigint AS pageviews,
       coalesce(sum(unique_pageviews), 0)::bigint AS unique_pageviews,
       coalesce(sum(actions), 0)::bigint AS actions,
       round(100.0 * sum(bounces) / nullif(sum(visits), 0), 1) AS bounce_rate,
       round(sum(seconds) / nullif(sum(visits), 0))::bigint AS avg_visit_duration,
       round(sum(actions)::numeric / nullif(sum(visits), 0), 1) AS actions_per_visit
FROM per_day;
