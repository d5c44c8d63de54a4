-- Reference: page-performance, from raw timings. $1 site, $2 first, $3 last day, $4 limit.
-- The same histogram the aggregates keep (timing_bucket), read by the same percentile rule.
WITH timings AS (
    SELECT url_path((v.hit).url) AS page, t.phase, t.ms
    FROM pg_temp.visit_hits($1) v
    CROSS JOIN LATERAL (VALUES ('net', (v.hit).pf_net), ('srv', (v.hit).pf_srv),
                               ('tfr', (v.hit).pf_tfr), ('dm1', (v.hit).pf_dm1),
                               ('dm2', (v.hit).pf_dm2), ('onl', (v.hit).pf_onl)) AS t (phase, ms)
    WHERE (v.hit).action = 'pageview' AND t.ms IS NOT NULL
      AND ((v.hit).ts AT TIME ZONE v.tz)::date BETWEEN $2::date AND $3::date
), buckets AS (
    SELECT page, phase, timing_bucket(ms) AS bucket, count(*) AS n, sum(ms) AS ms
    FROM timings GROUP BY page, phase, timing_bucket(ms)
), phases AS (
    SELECT page, phase, sum(n) AS n, round(sum(ms)::numeric / sum(n))::bigint AS avg_ms,
           timing_percentile(0.75, array_agg(bucket), array_agg(n::bigint)) AS p75
    FROM buckets GROUP BY page, phase
)
SELECT page, max(n)::bigint AS pageviews,
       max(avg_ms) FILTER (WHERE phase = 'net') AS avg_network,
       max(p75) FILTER (WHERE phase = 'net') AS p75_network,
       max(avg_ms) FILTER (WHERE phase = 'srv') AS avg_server,
       max(p75) FILTER (WHERE phase = 'srv') AS p75_server,
       max(avg_ms) FILTER (WHERE phase = 'tfr') AS avg_transfer,
       max(p75) FILTER (WHERE phase = 'tfr') AS p75_transfer,
       max(avg_ms) FILTER (WHERE phase = 'dm1') AS avg_dom_processing,
       max(p75) FILTER (WHERE phase = 'dm1') AS p75_dom_processing,
       max(avg_ms) FILTER (WHERE phase = 'dm2') AS avg_dom_completion,
       max(p75) FILTER (WHERE phase = 'dm2') AS p75_dom_completion,
       max(avg_ms) FILTER (WHERE phase = 'onl') AS avg_on_load,
       max(p75) FILTER (WHERE phase = 'onl') AS p75_on_load,
       sum(avg_ms)::bigint AS avg_page_load
FROM phases GROUP BY page
ORDER BY pageviews DESC, page COLLATE "C"
LIMIT $4;
