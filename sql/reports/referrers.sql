-- referrers: how visits came, by channel and source, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- As in Matomo: a visit is attributed by the hit that started it: a campaign in the page URL
-- beats the referrer; then search engines, social networks, other websites (by host), and
-- direct (no referrer, or the site itself). Actions and bounce over the visit's first day.
SELECT ref_type AS type, nullif(ref_name, '') AS name, sum(visits)::bigint AS visits,
       sum(actions)::bigint AS actions, round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_referrers
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY ref_type, ref_name
HAVING sum(visits) > 0
ORDER BY visits DESC, ref_type COLLATE "C", nullif(ref_name, '') COLLATE "C" NULLS FIRST
LIMIT $4;
