-- Sessions with hits that arrived since the last run, whatever time the hits carry (late,
-- back-dated with cdt, replayed from a spill file). Hits older than :guard are left alone:
-- they are about to be dropped, and so is every aggregate day they could touch.
-- BRIN on arrival finds the new rows of each partition; partitions before :guard are pruned.
INSERT INTO r_touched (site_id, session_id, first_new)
SELECT site_id, session_id, min(ts)
FROM hits
WHERE arrival >= :arrived_from AND arrival < :arrived_until
  AND ts >= :guard AND ts < :ts_until
GROUP BY site_id, session_id;
