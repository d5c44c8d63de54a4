-- Raw visits (migration 014), step one: every visit of the runs derived again is gone (they
-- start at the run's start or later); 72 writes them as they are now. The scalar bound
-- prunes the hourly partitions at run time to the hours the runs cover.
DELETE FROM raw_visits r
USING r_sessions s
WHERE r.site_id = s.site_id AND r.session_id = s.session_id AND r.started_at >= s.run_start
  AND r.started_at >= (SELECT min(run_start) FROM r_sessions);
