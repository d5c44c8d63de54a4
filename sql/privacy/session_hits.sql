-- Every hit one browser session left ($1 session id) on the known sites ($2): the export of
-- GET /privacy/me, with the goals it converted, its order or cart (totals and items; there is
-- no order number to show: it is never stored), content, page timings and custom dimensions.
-- site_id = ANY leads the (site_id, session_id, ts) index of every partition.
SELECT site_id, ts, action, url, title, target_url, referrer, ref_type, ref_name,
       campaign_name, campaign_source, campaign_medium, campaign_keyword, campaign_content,
       search_keyword, search_category, search_count,
       event_category, event_action, event_name, event_value,
       browser, browser_version, os, device, lang, resolution, new_visit, pv_id,
       host(ip_prefix) AS ip_prefix, goals::text AS goals, revenue, ec_subtotal, ec_tax,
       ec_shipping, ec_discount, ec_items::text AS ec_items, content_name, content_piece,
       content_target, content_interaction, pf_net, pf_srv, pf_tfr, pf_dm1, pf_dm2, pf_onl,
       dimensions::text AS dimensions, country, region
FROM hits
WHERE site_id = ANY($2::integer[]) AND session_id = $1
ORDER BY ts
