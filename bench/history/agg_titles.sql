-- History for bench/reports.py: agg_titles, days $2..$3 of site $1, scaled to $4 hits a day
-- and $5 values a day.
WITH days AS (
    SELECT d::date AS day, 0.6 + 0.4 * random() AS f
    FROM generate_series($2::date, $3::date, interval '1 day') d
)
INSERT INTO agg_titles
SELECT $1, day, 'Seite ' || p, greatest(2, ($4 * 0.5 * f / (p + 1) / 10))::bigint,
        greatest(2, ($4 * 0.4 * f / (p + 1) / 10))::bigint
        FROM days, generate_series(0, $5 - 1) p;
