-- History for bench/reports.py: agg_referrers, days $2..$3 of site $1, scaled to $4 hits a day
-- and $5 values a day.
WITH days AS (
    SELECT d::date AS day, 0.6 + 0.4 * random() AS f
    FROM generate_series($2::date, $3::date, interval '1 day') d
)
INSERT INTO agg_referrers
SELECT $1, day, 'website', 'site' || r || '.example',
        greatest(2, ($4 * 0.02 * f / (r + 1)))::bigint, greatest(2, ($4 * 0.06 * f / (r + 1)))::bigint,
        greatest(2, ($4 * 0.05 * f / (r + 1)))::bigint, ($4 * 0.01 * f / (r + 1))::bigint,
        ($4 * 3 * f / (r + 1))::bigint
        FROM days, generate_series(0, $5 - 1) r;
