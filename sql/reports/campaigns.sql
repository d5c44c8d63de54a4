-- campaigns: visits that landed with campaign parameters (mtm_*, pk_*, utm_*), per
-- campaign name, source and medium, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Names are lowercased at write time, so "Spring" and "spring" are one campaign.
--
-- A visit is attributed by its first hit (visit_hits marks it); only visits that start in
-- the period count. Actions exclude heartbeat pings; a bounce is a visit with one action.
-- Shape: `per_day` has additive columns only (visits, actions, bounces per UTC day), so
-- daily aggregates of rolled-up days can be added to it with UNION ALL; the final SELECT
-- sums them and computes the rate. The LIMIT applies after grouping.
WITH hits AS (
    SELECT (v.hit).*, v.visit_no, v.visit_start
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT min(ts) AS started,
           min(ref_type) FILTER (WHERE visit_start) AS ref_type,
           min(campaign_name) FILTER (WHERE visit_start) AS campaign_name,
           min(campaign_source) FILTER (WHERE visit_start) AS campaign_source,
           min(campaign_medium) FILTER (WHERE visit_start) AS campaign_medium,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT (started AT TIME ZONE 'UTC')::date AS day,
           campaign_name AS campaign,
           campaign_source AS source,
           campaign_medium AS medium,
           count(*) AS visits, sum(actions) AS actions,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM visits
    WHERE ref_type = 'campaign'
    GROUP BY day, campaign, source, medium
)
SELECT campaign, source, medium, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM per_day
GROUP BY campaign, source, medium
ORDER BY visits DESC, campaign COLLATE "C", source COLLATE "C", medium COLLATE "C"
LIMIT $4;
