-- summary: visits and pageviews of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days).
-- A visit counts on the day it starts (as in Matomo); pings are not pageviews.
-- Days past raw retention are read from agg_site_days, the others from raw hits: a day's
-- roll-up and the drop of its partition are one transaction, so each day is in exactly one
-- of the two, and the sum over both is the period (docs/aggregates.md).
SELECT coalesce(sum(visits), 0)::bigint    AS visits,
       coalesce(sum(pageviews), 0)::bigint AS pageviews
FROM (
    SELECT count(*) FILTER (WHERE visit_start)              AS visits,
           count(*) FILTER (WHERE (hit).action = 'pageview') AS pageviews
    FROM visit_hits($1, $2::date, $3::date + 1)
    UNION ALL
    SELECT visits, pageviews
    FROM agg_site_days
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
) AS days;
