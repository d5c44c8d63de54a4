-- The reference derivation of visits (what reports computed from raw hits before migration
-- 007), over ALL of one site's raw hits, so that no visit is cut by a read window. Installed
-- per connection as a temporary function; tests compare every report the aggregates give
-- with the same report computed from these rows (tests/reference/*.sql).
--
-- A new visit starts on a session's first action, after 30 minutes without a hit, or with
-- new_visit=1 on an action; a heartbeat (ping) extends the visit it follows and never starts
-- one, and pings before a segment's first action are left out. Hits of one instant are
-- ordered by their row position (as the roll-up orders them; `tie` is unique only
-- with ts, as each hour's hits have a partition of their own). A session's first hit marked
-- continues_visit continues a visit counted before migration 007. `tz`: the zone the site had
-- when the visit started, in which its hits' days and hours are cut.
CREATE OR REPLACE FUNCTION pg_temp.visit_hits(p_site integer)
RETURNS TABLE (hit hits, visit_start boolean, visit_no bigint, tz text, tie tid)  -- visit_no: one per visit
LANGUAGE sql STABLE AS $$
    WITH marked AS (
        SELECT h AS hit, h.session_id, h.ts, h.ctid AS tie, h.action = 'ping' AS ping,
               coalesce((h.new_visit AND h.action <> 'ping')
                        OR h.ts - lag(h.ts) OVER w > interval '30 minutes', true) AS gap_start,
               lag(h.ts) OVER w IS NULL AND h.continues_visit AS continues
        FROM hits h
        WHERE h.site_id = p_site
        WINDOW w AS (PARTITION BY h.session_id ORDER BY h.ts, h.action = 'ping', h.ctid)
    ), segmented AS (
        SELECT *, sum(gap_start::int) OVER (PARTITION BY session_id ORDER BY ts, ping, tie
                                            ROWS UNBOUNDED PRECEDING) AS segment
        FROM marked
    ), counted AS (
        SELECT *, count(*) FILTER (WHERE NOT ping)
                      OVER (PARTITION BY session_id, segment ORDER BY ts, ping, tie
                            ROWS UNBOUNDED PRECEDING) AS actions_so_far,
               bool_or(continues) OVER (PARTITION BY session_id, segment) AS continued
        FROM segmented
    ), started AS (
        SELECT hit, ts, tie, ping, session_id, segment, actions_so_far,
               NOT ping AND actions_so_far = 1 AND NOT continued AS visit_start,
               min(ts) FILTER (WHERE NOT ping AND actions_so_far = 1)
                   OVER (PARTITION BY session_id, segment) AS started_at
        FROM counted
    )
    SELECT n.hit, n.visit_start, n.segment, z.timezone, n.tie
    FROM started n
    JOIN site_zones z ON z.site_id = p_site AND n.started_at >= z.since AND n.started_at < z.until
    WHERE n.actions_so_far > 0
$$;
