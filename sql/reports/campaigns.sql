-- campaigns: visits that landed with campaign parameters (mtm_*, pk_*, utm_*), per
-- campaign name, source and medium, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Names are lowercased at write time, so "Spring" and "spring" are one campaign. A visit has
-- a campaign exactly when its ref_type is 'campaign' (collector/tracking/enrich.py). The
-- aggregates also keep keyword and content; this report sums over them. "(others)": rare
-- combinations folded at roll-up.
--
-- A visit counts on the day it starts and is attributed by the hit that started it
-- (visit_hits marks it). Visits are cut at midnight UTC, as the daily aggregates keep them:
-- actions and bounce are over the visit's hits of its first day. Actions exclude heartbeat
-- pings; a bounce is a visit with one action.
-- Shape: `per_day` holds additive columns only, one row per UTC day and campaign: raw hits
-- for the days still kept, agg_campaigns for the days rolled up (a day's roll-up and the
-- drop of its partition are one transaction, so each day is in exactly one of the two;
-- docs/aggregates.md). The final SELECT sums them and computes the rate; LIMIT comes last.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).action,
           (v.hit).campaign_name, (v.hit).campaign_source, (v.hit).campaign_medium,
           ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT day, min(campaign_name) FILTER (WHERE visit_start) AS campaign_name,
           min(campaign_source) FILTER (WHERE visit_start) AS campaign_source,
           min(campaign_medium) FILTER (WHERE visit_start) AS campaign_medium,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, campaign_name AS campaign, campaign_source AS source,
           campaign_medium AS medium,
           count(*) AS visits, sum(actions) AS actions,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM visits
    WHERE campaign_name IS NOT NULL
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT day, name, source, medium, visits, actions, bounces
    FROM agg_campaigns
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT campaign, source, medium,
       sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM per_day
GROUP BY campaign, source, medium
ORDER BY visits DESC, campaign COLLATE "C", source COLLATE "C", medium COLLATE "C"
LIMIT $4;
