-- History for bench/reports.py: agg_pages, days $2..$3 of site $1, scaled to $4 hits a day
-- and $5 values a day.
WITH days AS (
    SELECT d::date AS day, 0.6 + 0.4 * random() AS f
    FROM generate_series($2::date, $3::date, interval '1 day') d
)
INSERT INTO agg_pages
SELECT $1, day, CASE WHEN p = 0 THEN '/' ELSE '/bereich/' || p % 97 || '/seite-' || p END,
        greatest(2, ($4 * 0.5 * f / (p + 1) / 10))::bigint, greatest(2, ($4 * 0.4 * f / (p + 1) / 10))::bigint,
        ($4 * 0.2 * f / (p + 1) / 10)::bigint, ($4 * 0.08 * f / (p + 1) / 10)::bigint,
        ($4 * 0.2 * f / (p + 1) / 10)::bigint
        FROM days, generate_series(0, $5 - 1) p;
