-- page-performance: how fast each page loaded (Matomo's PagePerformance: pf_net, pf_srv,
-- pf_tfr, pf_dm1, pf_dm2, pf_onl), in ms: the average and the 75th percentile of each phase,
-- most measured pages first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- pageviews: pageviews that carried timings. The percentile comes from a fixed histogram kept
-- per page and day (timing_bounds, migration 009), interpolated inside its bucket: exact to
-- within the bucket, and it survives summing over days, which a stored p75 would not.
-- avg_page_load: the sum of the phases' averages, as Matomo's page load time. "(others)":
-- pages folded there (see `pages`).
WITH buckets AS (
    SELECT page, phase, bucket, sum(pageviews) AS n, sum(ms_sum) AS ms
    FROM agg_page_timings
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY page, phase, bucket
    HAVING sum(pageviews) > 0
), phases AS (
    SELECT page, phase, sum(n) AS n, round(sum(ms) / sum(n))::bigint AS avg_ms,
           timing_percentile(0.75, array_agg(bucket), array_agg(n::bigint)) AS p75
    FROM buckets
    GROUP BY page, phase
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
FROM phases
GROUP BY page
ORDER BY pageviews DESC, page COLLATE "C"
LIMIT $4;
