-- History for bench/reports.py: agg_site_hours, days $2..$3 of site $1, scaled to $4 hits a day.
WITH days AS (
    SELECT d::date AS day, 0.6 + 0.4 * random() AS f
    FROM generate_series($2::date, $3::date, interval '1 day') d
)
INSERT INTO agg_site_hours
SELECT $1, day, (day::timestamp AT TIME ZONE 'Europe/Berlin') + h * interval '1 hour',
        (v * f)::bigint, (v * f * 4)::bigint, (v * f * 3)::bigint, (v * f * 0.4)::bigint,
        (v * f * 180)::bigint
        FROM days, generate_series(0, 23) h, LATERAL (SELECT $4 / 5.0 / 24 * (1 + h % 7) / 4 AS v) x;
