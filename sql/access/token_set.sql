-- A user's API token, replacing the one they had.
INSERT INTO user_tokens (token_digest, user_id) VALUES (:digest, :user_id)
ON CONFLICT (user_id) DO UPDATE SET token_digest = EXCLUDED.token_digest, created_at = now();
