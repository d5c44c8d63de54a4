-- One row per visit (and sign), cut at local midnight: its actions, pageviews, duration,
-- entry and exit page are over its hits of the day it started; its hits after midnight count
-- as pageviews and actions of the next day, not as a visit there. Visit-level values come
-- from the hit that started it (exactly one). Entry and exit page: first and last pageview
-- by time, then by path on a tie. Duration: first to last hit of that day, heartbeats
-- included, in whole seconds.
INSERT INTO r_visits
SELECT sign, site_id, start_day,
       min(hour) FILTER (WHERE is_start),
       count(*) FILTER (WHERE day = start_day AND action <> 'ping'),
       count(*) FILTER (WHERE day = start_day AND action = 'pageview'),
       extract(epoch FROM max(ts) FILTER (WHERE day = start_day) - started_at)::bigint,
       (array_agg(page ORDER BY ts, page)
           FILTER (WHERE day = start_day AND action = 'pageview'))[1],
       (array_agg(page ORDER BY ts DESC, page DESC)
           FILTER (WHERE day = start_day AND action = 'pageview'))[1],
       min(ref_type) FILTER (WHERE is_start), min(ref_name) FILTER (WHERE is_start),
       min(campaign_name) FILTER (WHERE is_start), min(campaign_source) FILTER (WHERE is_start),
       min(campaign_medium) FILTER (WHERE is_start),
       min(campaign_keyword) FILTER (WHERE is_start),
       min(campaign_content) FILTER (WHERE is_start),
       min(browser) FILTER (WHERE is_start), min(os) FILTER (WHERE is_start),
       min(device) FILTER (WHERE is_start),
       min(country) FILTER (WHERE is_start), min(region) FILTER (WHERE is_start),
       min(resolution) FILTER (WHERE is_start), min(lang) FILTER (WHERE is_start)
FROM r_vhits
WHERE counted
GROUP BY sign, site_id, session_id, segment, start_day, started_at;
