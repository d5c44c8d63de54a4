-- One row per visit that starts on the day, cut at midnight (see 002_aggregates.sql): its
-- measures are over its hits of this day, as the reports count them from raw hits.
-- Visit-level values come from the hit that started the visit (there is exactly one).
-- Entry and exit page: first and last pageview by time, then by path on a tie (as reports).
CREATE TEMP TABLE rollup_visits ON COMMIT DROP AS
SELECT site_id,
       count(*) FILTER (WHERE action <> 'ping') AS actions,
       count(*) FILTER (WHERE action = 'pageview') AS pageviews,
       extract(epoch FROM max(ts) - min(ts))::bigint AS seconds,
       (array_agg(page ORDER BY ts, page) FILTER (WHERE action = 'pageview'))[1] AS entry_page,
       (array_agg(page ORDER BY ts DESC, page DESC)
           FILTER (WHERE action = 'pageview'))[1] AS exit_page,
       max(ref_type) FILTER (WHERE visit_start) AS ref_type,
       max(ref_name) FILTER (WHERE visit_start) AS ref_name,
       max(campaign_name) FILTER (WHERE visit_start) AS campaign_name,
       max(campaign_source) FILTER (WHERE visit_start) AS campaign_source,
       max(campaign_medium) FILTER (WHERE visit_start) AS campaign_medium,
       max(campaign_keyword) FILTER (WHERE visit_start) AS campaign_keyword,
       max(campaign_content) FILTER (WHERE visit_start) AS campaign_content,
       max(browser) FILTER (WHERE visit_start) AS browser,
       max(os) FILTER (WHERE visit_start) AS os,
       max(device) FILTER (WHERE visit_start) AS device
FROM rollup_hits
GROUP BY site_id, session_id, visit_no
HAVING bool_or(visit_start);
