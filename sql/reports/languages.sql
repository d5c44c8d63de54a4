-- languages: visits per primary language (the first subtag of `lang`, or of Accept-Language:
-- "de" for "de-AT"), most first; `with_region`: how many of them named a region ("de-AT").
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- "(unknown)": no language sent. From the hit that started the visit.
SELECT coalesce(nullif(language, ''), '(unknown)') AS language, sum(visits)::bigint AS visits,
       coalesce(sum(visits) FILTER (WHERE region <> ''), 0)::bigint AS with_region,
       sum(actions)::bigint AS actions, round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_languages
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY language
HAVING sum(visits) > 0
ORDER BY visits DESC, coalesce(nullif(language, ''), '(unknown)') COLLATE "C"
LIMIT $4;
