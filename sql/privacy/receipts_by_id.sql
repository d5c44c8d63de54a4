-- The receipts a visitor's cookies name ($1 ids), within the known sites ($2, with 0):
-- site_id leads the primary key, so this is an index lookup per (site, id) pair.
SELECT receipt_id, site_id, ts, choice, policy_version
FROM consent_receipts
WHERE site_id = ANY($2::integer[]) AND receipt_id = ANY($1::uuid[])
ORDER BY ts
