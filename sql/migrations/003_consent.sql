-- Consent receipts (promise P7): proof of each opt-in and opt-out, and nothing else.
--
-- No IP, no user agent, no session id: a receipt links to nobody unless the visitor shows its
-- id (the browser holds it in the consent cookie). site_id 0 means the choice was made on the
-- opt-out page opened without naming a site. Kept for COLLECTOR_RECEIPT_RETENTION_DAYS, then
-- deleted by the retention job (collector.privacy.receipts.purge_receipts).
-- Citus-ready: site_id is the distribution column and leads the primary key.

CREATE TABLE consent_receipts (
    site_id        integer NOT NULL,
    receipt_id     uuid NOT NULL,
    ts             timestamptz NOT NULL,
    choice         text NOT NULL CHECK (choice IN ('optin', 'optout')),
    policy_version text NOT NULL CHECK (length(policy_version) BETWEEN 1 AND 64),
    PRIMARY KEY (site_id, receipt_id)
);

-- Serves the purge (ts < cutoff) and the per-day counts of `collector consent stats`.
CREATE INDEX consent_receipts_ts ON consent_receipts (ts);
