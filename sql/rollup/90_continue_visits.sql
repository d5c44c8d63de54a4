-- Before the day is dropped: flag each session's first hit of the next day that continues
-- one of this day's visits (30 minutes or less since its last hit here, as visit_hits()
-- decides), so the next day's visit count is the same with this day gone. $1 day.
WITH bounds AS (
    SELECT ($1::date + 1)::timestamp AT TIME ZONE 'UTC' AS midnight
), first_next AS (
    SELECT DISTINCT ON (h.site_id, h.session_id) h.site_id, h.session_id, h.ts
    FROM hits h, bounds b
    WHERE h.ts >= b.midnight AND h.ts < b.midnight + interval '30 minutes'
    ORDER BY h.site_id, h.session_id, h.ts
), last_here AS (
    SELECT h.site_id, h.session_id, max(h.ts) AS ts
    FROM hits h, bounds b
    WHERE h.ts >= b.midnight - interval '30 minutes' AND h.ts < b.midnight
    GROUP BY h.site_id, h.session_id
)
UPDATE hits h SET continues_visit = true
FROM first_next n JOIN last_here l USING (site_id, session_id)
WHERE h.site_id = n.site_id AND h.session_id = n.session_id AND h.ts = n.ts
  AND n.ts - l.ts <= interval '30 minutes';
