-- Who holds the token with this digest (primary key lookup).
SELECT u.user_id, u.name FROM user_tokens t JOIN users u ON u.user_id = t.user_id
WHERE t.token_digest = :digest;
