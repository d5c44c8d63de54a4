-- A live session: not expired, and (for a user) the user still exists.
SELECT s.user_id, u.name, s.token_mark, s.csrf
FROM dashboard_sessions s LEFT JOIN users u ON u.user_id = s.user_id
WHERE s.session_digest = :digest AND s.expires_at > :now
  AND (s.user_id IS NULL OR u.user_id IS NOT NULL);
