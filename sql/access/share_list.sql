-- Share links, of one site or (site NULL) of all; never the token (only its digest is kept).
SELECT share_id, site_id, cards, created_at, revoked_at FROM share_links
WHERE :site_id::integer IS NULL OR site_id = :site_id::integer
ORDER BY share_id;
