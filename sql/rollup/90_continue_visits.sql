-- Before the day is dropped: flag each session's first hit of the next day when it belongs to
-- a visit already under way at midnight, so the next day's visits are the same with this day
-- gone (visit_hits() honours the flag). $1 day.
-- "Under way" is what visit_hits() decides over this day and the next 30 minutes: the hit is
-- in a visit (not an orphan heartbeat) and does not start it. A simple "last hit here under
-- 30 minutes ago" would be wrong twice: the next action may carry new_visit=1 (a visit
-- start), and heartbeats before midnight may have been orphans, with no visit to continue.
-- A session's first hit 30 minutes or more after midnight starts a new run of hits anyway.
WITH bounds AS (
    SELECT $1::date::timestamp AT TIME ZONE 'UTC' AS lo,
           ($1::date + 1)::timestamp AT TIME ZONE 'UTC' AS midnight
), first_next AS (
    -- ordered as visit_hits() orders a session's hits
    SELECT DISTINCT ON (h.site_id, h.session_id) h.site_id, h.session_id, h.ts
    FROM hits h, bounds b
    WHERE h.ts >= b.midnight AND h.ts < b.midnight + interval '30 minutes'
    ORDER BY h.site_id, h.session_id, h.ts, h.action = 'ping'
), under_way AS (
    SELECT (v.hit).site_id, (v.hit).session_id, (v.hit).ts
    FROM bounds b
    CROSS JOIN LATERAL (SELECT DISTINCT site_id FROM first_next) s
    CROSS JOIN LATERAL visit_hits(s.site_id, b.lo, b.midnight + interval '30 minutes') v
    WHERE (v.hit).ts >= b.midnight AND NOT v.visit_start
)
UPDATE hits h SET continues_visit = true
FROM first_next n JOIN under_way u USING (site_id, session_id, ts)
WHERE h.site_id = n.site_id AND h.session_id = n.session_id AND h.ts = n.ts;
