-- screen-sizes: visits per screen width class and exact resolution (screen.width x height in
-- CSS pixels, from the hit that started the visit), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- Width classes (screen_class, migration 008): < 576, 576–991, 992–1439, 1440–1919, ≥ 1920;
-- "(unknown)" without a resolution. A class's rare resolutions are "(others)" once folded.
SELECT coalesce(nullif(width_class, ''), '(unknown)') AS width, nullif(resolution, '') AS resolution,
       sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_screens
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY width_class, resolution
HAVING sum(visits) > 0
ORDER BY visits DESC, screen_class_rank(width_class), resolution COLLATE "C"
LIMIT $4;
