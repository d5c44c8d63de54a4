-- One consent receipt: $1 site, $2 receipt id, $3 time, $4 choice, $5 policy version.
INSERT INTO consent_receipts (site_id, receipt_id, ts, choice, policy_version)
VALUES ($1, $2, $3, $4, $5)
