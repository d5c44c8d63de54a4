-- Every hit one browser session left ($1 session id) on the known sites ($2): the export of
-- GET /privacy/me. site_id = ANY leads the (site_id, session_id, ts) index of every partition.
SELECT site_id, ts, action, url, title, target_url, referrer, ref_type, ref_name,
       campaign_name, campaign_source, campaign_medium, campaign_keyword, campaign_content,
       search_keyword, search_category, search_count,
       event_category, event_action, event_name, event_value,
       browser, browser_version, os, device, lang, resolution, new_visit, pv_id,
       host(ip_prefix) AS ip_prefix, country, region
FROM hits
WHERE site_id = ANY($2::integer[]) AND session_id = $1
ORDER BY ts
