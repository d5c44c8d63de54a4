-- Reports: heartbeat pings in visit splitting (url_path and strip_url are in 002).

-- visit_hits, now with Matomo's heartbeat rule: a ping (ping=1) extends the visit it belongs
-- to and keeps it alive, but never starts one. A ping more than 30 minutes after the last
-- action (or the first of a session) belongs to no visit and is left out, as Matomo aborts
-- such a request; the next action after it starts a new visit. Same signature as before, so
-- callers need no change.
--
-- "segment": a run of a session's hits with no gap over 30 minutes (or new_visit=1 on an
-- action). A visit starts at the first action of a segment; pings before it are orphans.
-- The first hit read for a session may lie in the 30 minutes before p_from and be a ping of
-- a visit that started earlier: it anchors ("cut"), so the visit is not counted again.
-- So does a session's first hit marked continues_visit by the roll-up of the day before
-- (002): that day is gone, but its visit went on past midnight and must not count twice.
CREATE OR REPLACE FUNCTION visit_hits(p_site integer, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (hit hits, visit_start boolean, visit_no bigint)
LANGUAGE sql STABLE AS $$
    WITH marked AS (
        SELECT h AS hit, h.session_id, h.ts,
               h.action = 'ping' AND NOT (lag(h.ts) OVER w IS NULL AND h.ts < p_from) AS ping,
               coalesce((h.new_visit AND h.action <> 'ping')
                        OR h.ts - lag(h.ts) OVER w > interval '30 minutes', true) AS gap_start,
               lag(h.ts) OVER w IS NULL AND h.continues_visit AS continues
        FROM hits h
        WHERE h.site_id = p_site AND h.ts >= p_from - interval '30 minutes' AND h.ts < p_to
        WINDOW w AS (PARTITION BY h.session_id ORDER BY h.ts, h.action = 'ping')
    ), segmented AS (
        SELECT *, sum(gap_start::int) OVER (PARTITION BY session_id ORDER BY ts, ping
                                            ROWS UNBOUNDED PRECEDING) AS segment
        FROM marked
    ), counted AS (
        SELECT *, count(*) FILTER (WHERE NOT ping)
                      OVER (PARTITION BY session_id, segment ORDER BY ts, ping
                            ROWS UNBOUNDED PRECEDING) AS actions_so_far,
               bool_or(continues) OVER (PARTITION BY session_id, segment) AS continued
        FROM segmented
    ), started AS (
        SELECT hit, ts, actions_so_far,
               NOT ping AND actions_so_far = 1 AND NOT continued AS visit_start,
               session_id, ping
        FROM counted
    ), numbered AS (
        SELECT hit, ts, actions_so_far, visit_start,
               sum(visit_start::int) OVER (PARTITION BY session_id ORDER BY ts, ping
                                           ROWS UNBOUNDED PRECEDING) AS visit_no
        FROM started
    )
    SELECT hit, visit_start, visit_no FROM numbered WHERE ts >= p_from AND actions_so_far > 0
$$;
