-- Import records whose newest request is past retention: a file imported again now holds
-- only lines that are skipped as outside retention anyway.
WITH gone AS (
    DELETE FROM usage_imports WHERE newest IS NULL OR newest < :raw_gone_before RETURNING 1
)
SELECT count(*) FROM gone;
