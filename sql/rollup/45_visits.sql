-- One row per visit (and sign), cut at local midnight: its actions, pageviews, duration,
-- entry and exit page are over its hits of the day it started; its hits after midnight count
-- as pageviews and actions of the next day, not as a visit there. Actions are what Matomo
-- counts (is_action: no heartbeats, goals, orders, cart updates, content). Visit-level values
-- come from the hit that started it (exactly one: r_hits by its instant and row position). Entry
-- and exit page: first and last pageview by time, then by path on a tie. Duration: first to
-- last hit of that day, heartbeats included, in whole seconds.
WITH visits AS (
    SELECT sign, site_id, session_id, segment, start_day, started_at,
           (array_agg(tie) FILTER (WHERE is_start))[1] AS start_tie,
           min(hour) FILTER (WHERE is_start) AS hour,
           count(*) FILTER (WHERE day = start_day AND is_action(action)) AS actions,
           count(*) FILTER (WHERE day = start_day AND action = 'pageview') AS pageviews,
           extract(epoch FROM max(ts) FILTER (WHERE day = start_day) - started_at)::bigint
               AS seconds,
           (array_agg(page ORDER BY ts, page)
               FILTER (WHERE day = start_day AND action = 'pageview'))[1] AS entry_page,
           (array_agg(page ORDER BY ts DESC, page DESC)
               FILTER (WHERE day = start_day AND action = 'pageview'))[1] AS exit_page
    FROM r_vhits
    WHERE counted
    GROUP BY sign, site_id, session_id, segment, start_day, started_at
)
INSERT INTO r_visits
SELECT v.sign, v.site_id, v.session_id, v.segment, v.start_day, v.hour, v.actions,
       v.pageviews, v.seconds, v.entry_page,
       v.exit_page, h.ref_type, h.ref_name, h.campaign_name, h.campaign_source,
       h.campaign_medium, h.campaign_keyword, h.campaign_content, h.browser, h.os, h.device,
       h.country, h.region, h.resolution, h.lang, v.started_at
FROM visits v
JOIN r_hits h ON h.site_id = v.site_id AND h.session_id = v.session_id AND h.ts = v.started_at
             AND h.tie = v.start_tie;
