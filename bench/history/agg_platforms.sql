-- History for bench/reports.py: agg_platforms, days $2..$3 of site $1, scaled to $4 hits a day.
WITH days AS (
    SELECT d::date AS day, 0.6 + 0.4 * random() AS f
    FROM generate_series($2::date, $3::date, interval '1 day') d
)
INSERT INTO agg_platforms
SELECT $1, day, a, v, greatest(2, ($4 * 0.02 * f / (i + 1)))::bigint,
        greatest(2, ($4 * 0.06 * f / (i + 1)))::bigint, greatest(2, ($4 * 0.05 * f / (i + 1)))::bigint,
        ($4 * 0.01 * f / (i + 1))::bigint, ($4 * 3 * f / (i + 1))::bigint
        FROM days, (VALUES ('browser', 'Chrome', 0), ('browser', 'Firefox', 1), ('browser', 'Safari', 2),
                           ('os', 'Windows', 0), ('os', 'Android', 1), ('os', 'iOS', 2),
                           ('device', 'desktop', 0), ('device', 'mobile', 1), ('device', 'tablet', 2)) p (a, v, i);
