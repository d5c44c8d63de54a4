-- Where each touched session's visits must be derived again: the start of the run of hits
-- (no gap over 30 minutes) that holds its earliest new hit. A gap of more than 30 minutes
-- always ends a visit, and a visit is a function of its run alone, so everything before the
-- run start stays as it is. First within three hours before the new hit (nearly every run is
-- shorter), in one pass over the touched sessions' hits, then, for the few runs not settled
-- by it, back to the guard. A run that reaches back past :guard is frozen (left out): its
-- earliest hits are about to be dropped, and deriving it from what is left would not match
-- what the aggregates hold.
-- The scalar bounds prune the hourly partitions at run time (InitPlans), so that the planner
-- may scan the few hours of a 15-second run's sessions, or probe their index one by one.
WITH near_window AS (
    SELECT h.site_id, h.session_id, h.ts, t.first_new,
           lag(h.ts) OVER (PARTITION BY h.site_id, h.session_id ORDER BY h.ts) AS before
    FROM r_touched t
    JOIN hits h ON h.site_id = t.site_id AND h.session_id = t.session_id
    WHERE h.ts <= t.first_new AND h.arrival < :arrived_until
      AND h.ts >= greatest(:guard, t.first_new - interval '3 hours') - interval '30 minutes'
      AND h.ts >= (SELECT greatest(:guard, min(first_new) - interval '3 hours')
                          - interval '30 minutes' FROM r_touched)
      AND h.ts <= (SELECT max(first_new) FROM r_touched)
), near AS (
    SELECT DISTINCT ON (site_id, session_id) site_id, session_id, first_new, ts AS run_start,
           before
    FROM near_window
    WHERE before IS NULL OR ts - before > interval '30 minutes'
    ORDER BY site_id, session_id, ts DESC
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
