-- Browser and OS families of people's requests; bots by name (the family ua-parser gives,
-- e.g. 'Googlebot').
INSERT INTO usage_agg_agents AS a (site_id, day, attribute, value, requests)
SELECT site_id, day, attribute, value, count(*)
FROM u_rows
CROSS JOIN LATERAL (VALUES ('browser', browser, NOT bot), ('os', os, NOT bot),
                           ('bot', browser, bot)) AS v (attribute, value, applies)
WHERE applies
GROUP BY site_id, day, attribute, value
ON CONFLICT (site_id, day, attribute, value) DO UPDATE SET
    requests = a.requests + excluded.requests;
