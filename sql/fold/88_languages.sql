-- As countries: a rare language into '(others)', a rare region of a common language into
-- the language's '(others)'; none ('') never folded.
WITH rows AS (
    SELECT language, region, visits,
           sum(visits) OVER (PARTITION BY language) AS outer_visits
    FROM agg_languages
    WHERE site_id = :site AND day = :day
), moves AS (
    SELECT language, region,
           CASE WHEN outer_visits < :min_count AND language NOT IN ('', '(others)')
                THEN '(others)' ELSE language END AS to_language,
           CASE WHEN outer_visits < :min_count AND language NOT IN ('', '(others)') THEN ''
                WHEN visits < :min_count AND region NOT IN ('', '(others)') THEN '(others)'
                ELSE region END AS to_region
    FROM rows
), gone AS (
    DELETE FROM agg_languages a
    USING moves m
    WHERE a.site_id = :site AND a.day = :day AND a.language = m.language AND a.region = m.region
      AND (m.to_language, m.to_region) <> (m.language, m.region)
    RETURNING a.*, m.to_language, m.to_region
), folded AS (
    INSERT INTO agg_languages AS a
        (site_id, day, language, region, visits, actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, to_language, to_region, sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone GROUP BY to_language, to_region
    ON CONFLICT (site_id, day, language, region) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
