-- The live (unrevoked) link with this digest; its site must still exist (FK cascade).
SELECT share_id, site_id, cards FROM share_links
WHERE token_digest = :digest AND revoked_at IS NULL;
