-- Opt-ins and opt-outs per UTC day from $2 to $3 (inclusive), for site $1 or every site when
-- $1 is NULL. Days without any choice are listed with zeros, so gaps are visible.
-- opt_in_rate is the share of recorded choices that were opt-ins: visitors who never choose
-- leave no trace, by design, so a rate over all visitors cannot be known.
SELECT d::date AS day,
       count(r.receipt_id) FILTER (WHERE r.choice = 'optin') AS opt_ins,
       count(r.receipt_id) FILTER (WHERE r.choice = 'optout') AS opt_outs,
       round(count(r.receipt_id) FILTER (WHERE r.choice = 'optin')::numeric
             / nullif(count(r.receipt_id), 0), 3) AS opt_in_rate
FROM generate_series($2::date, $3::date, interval '1 day') AS d
LEFT JOIN consent_receipts r
       ON r.ts >= d AND r.ts < d + interval '1 day'
      AND ($1::integer IS NULL OR r.site_id = $1)
GROUP BY d
ORDER BY d
