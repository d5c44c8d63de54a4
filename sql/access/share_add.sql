INSERT INTO share_links (site_id, token_digest, cards) VALUES (:site_id, :digest, :cards)
RETURNING share_id;
