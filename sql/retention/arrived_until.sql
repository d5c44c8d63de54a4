-- How far the roll-up may read new hits: every hit whose transaction started (its `arrival`)
-- before this instant has committed, or never will. A transaction still running started at
-- its pg_stat_activity.xact_start, so the oldest one still running bounds it; one older than
-- :longest cannot be a write of hits (the writer's statement timeout is far shorter: storage/
-- db.py) and is not waited for. One second less, for a transaction that has taken its start
-- time but not yet shown it here. Report connections and other work hold it back by their
-- own length at most: freshness, not correctness.
SELECT least(clock_timestamp() - interval '1 second',
             greatest(clock_timestamp() - :longest::interval,
                      coalesce(min(xact_start), 'infinity')))
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND backend_type = 'client backend' AND xact_start IS NOT NULL;
