-- Receipts older than their retention ($1 cutoff); uses consent_receipts_ts.
DELETE FROM consent_receipts WHERE ts < $1
