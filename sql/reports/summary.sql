-- summary: visits and pageviews of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days).
-- A visit counts on the day it starts (as in Matomo); pings are not pageviews.
SELECT count(*) FILTER (WHERE visit_start)              AS visits,
       count(*) FILTER (WHERE (hit).action = 'pageview') AS pageviews
FROM visit_hits($1, $2::date, $3::date + 1);
