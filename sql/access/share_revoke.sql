-- Revoke a link; with site_id given, only a link of that site (an admin's own sites).
UPDATE share_links SET revoked_at = now()
WHERE share_id = :share_id AND revoked_at IS NULL
  AND (:site_id::integer IS NULL OR site_id = :site_id::integer)
RETURNING share_id;
