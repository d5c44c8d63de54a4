-- Erasure: the runs of the session (:session on :sites) whose visits the aggregates hold, to
-- be subtracted before its rows are deleted (collector/retention/rollup.py). Every run that
-- starts after :guard; one that reaches back before it is frozen (sql/rollup/20_runs.sql) and
-- its days are about to be dropped and folded anyway.
INSERT INTO r_sessions (site_id, session_id, run_start)
SELECT site_id, session_id, min(ts)
FROM (SELECT site_id, session_id, ts,
             lag(ts) OVER (PARTITION BY site_id ORDER BY ts) AS before
      FROM hits
      WHERE session_id = :session AND site_id = ANY(:sites)
        AND ts >= :guard::timestamptz - interval '30 minutes' AND arrival < :arrived_from) s
WHERE ts >= :guard AND (before IS NULL OR ts - before > interval '30 minutes')
GROUP BY site_id, session_id;
