-- Where each touched session's visits must be derived again: the start of the run of hits
-- (no gap over 30 minutes) that holds its earliest new hit. A gap of more than 30 minutes
-- always ends a visit, and a visit is a function of its run alone, so everything before the
-- run start stays as it is. Found by walking back from the new hit on the session's index;
-- first within three hours (nearly every run is shorter), then, for the few still open, back
-- to the guard. A run that reaches back past :guard is frozen (left out): its earliest hits
-- are about to be dropped, and deriving it from what is left would not match what the
-- aggregates hold.
WITH near AS (
    SELECT t.site_id, t.session_id, t.first_new, r.ts AS run_start, r.before
    FROM r_touched t
    CROSS JOIN LATERAL (
        SELECT s.ts, s.before
        FROM (SELECT h.ts, lead(h.ts) OVER (ORDER BY h.ts DESC) AS before
              FROM hits h
              WHERE h.site_id = t.site_id AND h.session_id = t.session_id
                AND h.ts <= t.first_new AND h.arrival < :arrived_until
                AND h.ts >= greatest(:guard, t.first_new - interval '3 hours')
                            - interval '30 minutes'
              ORDER BY h.ts DESC) s
        WHERE s.before IS NULL OR s.ts - s.before > interval '30 minutes'
        LIMIT 1
    ) r
), settled AS (
    -- a start found above a gap, or with 30 minutes of nothing before it inside the window
    SELECT site_id, session_id, run_start FROM near
    WHERE before IS NOT NULL
       OR run_start >= greatest(:guard, first_new - interval '3 hours')
), far AS (
    SELECT n.site_id, n.session_id, r.ts AS run_start
    FROM near n
    CROSS JOIN LATERAL (
        SELECT s.ts
        FROM (SELECT h.ts, lead(h.ts) OVER (ORDER BY h.ts DESC) AS before
              FROM hits h
              WHERE h.site_id = n.site_id AND h.session_id = n.session_id
                AND h.ts <= n.first_new AND h.arrival < :arrived_until
                AND h.ts >= :guard::timestamptz - interval '30 minutes'
              ORDER BY h.ts DESC) s
        WHERE s.before IS NULL OR s.ts - s.before > interval '30 minutes'
        LIMIT 1
    ) r
    WHERE n.before IS NULL AND n.run_start < greatest(:guard, n.first_new - interval '3 hours')
)
INSERT INTO r_sessions (site_id, session_id, run_start)
SELECT site_id, session_id, run_start FROM (SELECT * FROM settled UNION ALL SELECT * FROM far) s
WHERE run_start >= :guard;
