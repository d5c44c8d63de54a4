-- Page performance per page and phase: how many pageviews fell into each bucket of a fixed
-- histogram (timing_bucket, migration 009) and their sum in ms. Sums of buckets over days are
-- the histogram of the period: its 75th percentile is read from them (page-performance.sql).
MERGE INTO agg_page_timings a
USING (
    SELECT site_id, day, page, t.phase, timing_bucket(t.ms) AS bucket, sum(sign) AS pageviews,
           sum(sign * t.ms) AS ms_sum
    FROM r_vhits
    CROSS JOIN LATERAL (VALUES ('net', pf_net), ('srv', pf_srv), ('tfr', pf_tfr),
                               ('dm1', pf_dm1), ('dm2', pf_dm2), ('onl', pf_onl))
        AS t (phase, ms)
    WHERE action = 'pageview' AND t.ms IS NOT NULL
    GROUP BY site_id, day, page, t.phase, timing_bucket(t.ms)
    HAVING sum(sign) <> 0 OR sum(sign * t.ms) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.page = d.page AND a.phase = d.phase
   AND a.bucket = d.bucket
WHEN MATCHED AND a.pageviews + d.pageviews = 0 AND a.ms_sum + d.ms_sum = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET pageviews = a.pageviews + d.pageviews, ms_sum = a.ms_sum + d.ms_sum
WHEN NOT MATCHED THEN INSERT (site_id, day, page, phase, bucket, pageviews, ms_sum)
    VALUES (d.site_id, d.day, d.page, d.phase, d.bucket, d.pageviews, d.ms_sum);
