-- Page timings follow the pages: a page folded into '(others)' in agg_pages (10_pages.sql, the
-- same transaction) has its timings folded into the '(others)' page too, bucket by bucket.
WITH gone AS (
    DELETE FROM agg_page_timings t
    WHERE t.site_id = :site AND t.day = :day AND t.page <> '(others)'
      AND NOT EXISTS (SELECT FROM agg_pages p
                      WHERE p.site_id = :site AND p.day = :day AND p.page = t.page)
    RETURNING t.*
), folded AS (
    INSERT INTO agg_page_timings AS a (site_id, day, page, phase, bucket, pageviews, ms_sum)
    SELECT :site, :day, '(others)', phase, bucket, sum(pageviews), sum(ms_sum)
    FROM gone GROUP BY phase, bucket
    ON CONFLICT (site_id, day, page, phase, bucket) DO UPDATE SET
        pageviews = a.pageviews + excluded.pageviews, ms_sum = a.ms_sum + excluded.ms_sum
    RETURNING 1
)
SELECT count(*) FROM gone;
