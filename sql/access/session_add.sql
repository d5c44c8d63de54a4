INSERT INTO dashboard_sessions (session_digest, user_id, token_mark, csrf, expires_at)
VALUES (:digest, :user_id, :token_mark, :csrf, :expires_at);
