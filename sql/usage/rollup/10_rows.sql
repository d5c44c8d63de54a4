-- The rows that arrived since the last run (by `arrival`, the writing transaction's start:
-- a late import is found like a live line), cut into days and hours in the zone the site
-- had at the request's time. Every request counts on its own; nothing is derived again.
INSERT INTO u_rows
SELECT r.site_id, (r.ts AT TIME ZONE z.timezone)::date, date_trunc('hour', r.ts, z.timezone),
       r.ip_prefix, r.path, r.status, r.bytes, coalesce(r.referrer, ''),
       coalesce(r.browser, ''), coalesce(r.os, ''), r.bot
FROM usage_requests r
JOIN site_zones z ON z.site_id = r.site_id AND r.ts >= z.since AND r.ts < z.until
WHERE r.arrival >= :arrived_from AND r.arrival < :arrived_until;
