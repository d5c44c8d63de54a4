-- Every hit of the runs to derive again, reduced to what aggregates may keep (URL paths,
-- stripped targets, no IP) and with '' for "none" in what becomes a key. Path and title of
-- pageviews only: nothing else is counted by them. `old`: the hit is in
-- the aggregates already (it arrived before :arrived_from, so the last run derived it).
-- `tie` orders hits of the same instant the same way every run: hits are never updated, so a
-- hit's row position in its partition does not change. It says nothing of arrival (COPY may
-- fill free space of earlier pages); a bulk's requests are a microsecond apart instead.
INSERT INTO r_hits
SELECT h.site_id, h.session_id, h.ts, h.ctid, h.arrival < :arrived_from, h.action,
       h.new_visit, h.continues_visit,
       CASE WHEN h.action = 'pageview' THEN url_path(h.url) END,
       CASE WHEN h.action = 'pageview' THEN coalesce(h.title, '') END,
       strip_url(h.target_url), coalesce(h.ref_type, 'direct'), coalesce(h.ref_name, ''),
       h.campaign_name, coalesce(h.campaign_source, ''), coalesce(h.campaign_medium, ''),
       coalesce(h.campaign_keyword, ''), coalesce(h.campaign_content, ''),
       lower(btrim(h.search_keyword)), h.search_count,
       h.event_category, h.event_action, coalesce(h.event_name, ''), h.event_value,
       coalesce(h.browser, ''), coalesce(h.os, ''), coalesce(h.device, ''),
       h.goals, h.revenue, h.ec_subtotal, h.ec_tax, h.ec_shipping, h.ec_discount, h.ec_items,
       h.content_name, coalesce(h.content_piece, ''), coalesce(strip_url(h.content_target), ''),
       h.pf_net, h.pf_srv, h.pf_tfr, h.pf_dm1, h.pf_dm2, h.pf_onl, h.dimensions,
       coalesce(h.country, ''), coalesce(h.region, ''), coalesce(h.resolution, ''),
       coalesce(h.lang, '')
FROM r_sessions s
JOIN hits h ON h.site_id = s.site_id AND h.session_id = s.session_id AND h.ts >= s.run_start
WHERE h.arrival < :arrived_until AND h.ts < :ts_until
  AND h.ts >= (SELECT min(run_start) FROM r_sessions);  -- prunes partitions at run time
