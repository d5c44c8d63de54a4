-- A country seen in fewer than :min_count visits that day into '(others)' (with no region);
-- of the other countries, a rare region into the country's '(others)'. Unknown ('') is never
-- folded. A rare region of a common country stays that country's: the country is no secret.
WITH rows AS (
    SELECT country, region, visits,
           sum(visits) OVER (PARTITION BY country) AS outer_visits
    FROM agg_countries
    WHERE site_id = :site AND day = :day
), moves AS (
    SELECT country, region,
           CASE WHEN outer_visits < :min_count AND country NOT IN ('', '(others)')
                THEN '(others)' ELSE country END AS to_country,
           CASE WHEN outer_visits < :min_count AND country NOT IN ('', '(others)') THEN ''
                WHEN visits < :min_count AND region NOT IN ('', '(others)') THEN '(others)'
                ELSE region END AS to_region
    FROM rows
), gone AS (
    DELETE FROM agg_countries a
    USING moves m
    WHERE a.site_id = :site AND a.day = :day AND a.country = m.country AND a.region = m.region
      AND (m.to_country, m.to_region) <> (m.country, m.region)
    RETURNING a.*, m.to_country, m.to_region
), folded AS (
    INSERT INTO agg_countries AS a
        (site_id, day, country, region, visits, actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, to_country, to_region, sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone GROUP BY to_country, to_region
    ON CONFLICT (site_id, day, country, region) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
