-- Every user with their grants ("site:role", by site) and whether a token exists. Never a
-- hash or a digest.
SELECT u.name,
       coalesce(string_agg(g.site_id || ':' || g.role, ',' ORDER BY g.site_id), '') AS sites,
       EXISTS (SELECT FROM user_tokens t WHERE t.user_id = u.user_id) AS has_token,
       u.created_at
FROM users u
LEFT JOIN user_sites g ON g.user_id = u.user_id
GROUP BY u.user_id
ORDER BY u.name;
