-- Visits, as Matomo splits them, from each session's run: derived twice, from the hits the
-- aggregates hold (sign -1) and from the hits there are now (sign +1; none when erasing).
-- A visit starts on a run's first action, or on an action with new_visit=1. A heartbeat
-- (ping) extends the visit it follows and keeps it alive, but never starts one: pings before
-- a segment's first action belong to no visit and are left out. Each visit is cut in the
-- zone its site had when it started (site_zones): every hit's day and hour are local.
-- A session's first hit marked continues_visit (set before migration 007 on the day after a
-- rolled-up day) continues a visit counted on that day: its hits count, the visit does not.
WITH sets AS (
    SELECT -1::smallint AS sign, h.* FROM r_hits h WHERE h.old
    UNION ALL
    SELECT 1::smallint, h.* FROM r_hits h WHERE :new_set
), marked AS (
    SELECT s.*, s.action = 'ping' AS ping,
           coalesce((s.new_visit AND s.action <> 'ping')
                    OR s.ts - lag(s.ts) OVER w > interval '30 minutes', true) AS gap_start,
           lag(s.ts) OVER w IS NULL AND s.continues_visit AS continues
    FROM sets s
    WINDOW w AS (PARTITION BY s.sign, s.site_id, s.session_id ORDER BY s.ts, s.action = 'ping', s.tie)
), segmented AS (
    SELECT m.*, sum(gap_start::int) OVER (PARTITION BY sign, site_id, session_id
                                          ORDER BY ts, ping, tie ROWS UNBOUNDED PRECEDING)
                    AS segment
    FROM marked m
), counted AS (
    SELECT g.*, count(*) FILTER (WHERE NOT ping)
                    OVER (PARTITION BY sign, site_id, session_id, segment ORDER BY ts, ping, tie
                          ROWS UNBOUNDED PRECEDING) AS actions_so_far,
                bool_or(continues) OVER (PARTITION BY sign, site_id, session_id, segment)
                    AS continued
    FROM segmented g
), visit_hits AS (
    SELECT c.*, NOT c.ping AND c.actions_so_far = 1 AS is_start,
           min(c.ts) FILTER (WHERE NOT c.ping AND c.actions_so_far = 1)
               OVER (PARTITION BY c.sign, c.site_id, c.session_id, c.segment) AS started_at
    FROM counted c
    WHERE c.actions_so_far > 0
)
INSERT INTO r_vhits
SELECT v.sign, v.site_id, v.session_id, v.segment, NOT v.continued, v.started_at, v.is_start,
       v.ts, (v.ts AT TIME ZONE z.timezone)::date, date_trunc('hour', v.ts, z.timezone),
       (v.started_at AT TIME ZONE z.timezone)::date,
       v.action, v.page, v.title, v.target, v.search_keyword, v.search_count,
       v.event_category, v.event_action, v.event_name, v.event_value,
       v.ref_type, v.ref_name, v.campaign_name, v.campaign_source, v.campaign_medium,
       v.campaign_keyword, v.campaign_content, v.browser, v.os, v.device,
       v.country, v.region, v.resolution, v.lang
FROM visit_hits v
JOIN site_zones z ON z.site_id = v.site_id AND v.started_at >= z.since AND v.started_at < z.until;
