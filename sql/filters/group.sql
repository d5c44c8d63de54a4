-- Every card of the filtered dashboard from the visits `f` (the CTE of facets.sql,
-- actions.sql or done-all.sql, which this follows): one scan, all groupings at once. `card`
-- names the grouping by the GROUPING() bits of the ten keys (first key highest): total, day,
-- hour, referrer, campaign, browser, os, device, country, entry_page. Empty groups are left
-- out; the caller fills the chart's empty days and hours.
SELECT CASE GROUPING(day, hour, ref_type, ref_name, campaign, browser, os, device, country,
                     entry_page)
            WHEN 1023 THEN 'total' WHEN 511 THEN 'day' WHEN 767 THEN 'hour'
            WHEN 831 THEN 'referrer' WHEN 991 THEN 'campaign' WHEN 1007 THEN 'browser'
            WHEN 1015 THEN 'os' WHEN 1019 THEN 'device' WHEN 1021 THEN 'country'
            WHEN 1022 THEN 'entry_page' END AS card,
       day, hour, ref_type, ref_name, campaign, browser, os, device, country, entry_page,
       sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       sum(pageviews)::bigint AS pageviews, sum(bounces)::bigint AS bounces,
       sum(visit_seconds)::bigint AS seconds
FROM f
GROUP BY GROUPING SETS ((), (day), (hour), (ref_type, ref_name), (campaign), (browser), (os),
                        (device), (country), (entry_page))
HAVING sum(visits) <> 0;
