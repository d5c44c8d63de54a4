-- Visits, as Matomo splits them, from each session's run: derived twice, from the hits the
-- aggregates hold (sign -1) and from the hits there are now (sign +1; none when erasing).
-- A visit starts on a run's first action, or on an action with new_visit=1. A heartbeat
-- (ping) extends the visit it follows and keeps it alive, but never starts one: pings before
-- a segment's first action belong to no visit and are left out. Each visit is cut in the
-- zone its site had when it started (site_zones): every hit's day and hour are local.
-- A session's first hit marked continues_visit (set before migration 007 on the day after a
-- rolled-up day) continues a visit counted on that day: its hits count, the visit does not.
--
-- Every window below has the same partition and order, so the hits are sorted once: a
-- segment's actions so far are the session's running count of actions less that count
-- where the segment began (a running maximum, as segments only follow one another).
WITH sets AS (
    SELECT -1::smallint AS sign, site_id, session_id, ts, tie, action, new_visit,
           continues_visit, page, title, target, search_keyword, search_count, event_category,
           event_action, event_name, event_value, goals, revenue, ec_subtotal, ec_tax,
           ec_shipping, ec_discount, ec_items, content_name, content_piece, content_target,
           pf_net, pf_srv, pf_tfr, pf_dm1, pf_dm2, pf_onl, dimensions
    FROM r_hits WHERE old
    UNION ALL
    SELECT 1::smallint, site_id, session_id, ts, tie, action, new_visit, continues_visit, page,
           title, target, search_keyword, search_count, event_category, event_action,
           event_name, event_value, goals, revenue, ec_subtotal, ec_tax, ec_shipping,
           ec_discount, ec_items, content_name, content_piece, content_target, pf_net, pf_srv,
           pf_tfr, pf_dm1, pf_dm2, pf_onl, dimensions
    FROM r_hits WHERE :new_set
), marked AS (
    SELECT s.*, s.action = 'ping' AS ping,
           coalesce((s.new_visit AND s.action <> 'ping')
                    OR s.ts - lag(s.ts) OVER w > interval '30 minutes', true) AS gap_start,
           first_value(s.continues_visit) OVER w AS first_continues
    FROM sets s
    WINDOW w AS (PARTITION BY s.sign, s.site_id, s.session_id
                 ORDER BY s.ts, s.action = 'ping', s.tie ROWS UNBOUNDED PRECEDING)
), counted AS (
    SELECT m.*, sum(m.gap_start::int) OVER w AS segment,
           count(*) FILTER (WHERE NOT m.ping) OVER w AS actions_total
    FROM marked m
    WINDOW w AS (PARTITION BY m.sign, m.site_id, m.session_id
                 ORDER BY m.ts, m.ping, m.tie ROWS UNBOUNDED PRECEDING)
), based AS (
    SELECT c.*, max(CASE WHEN c.gap_start THEN c.actions_total - (NOT c.ping)::int END)
                    OVER w AS segment_base
    FROM counted c
    WINDOW w AS (PARTITION BY c.sign, c.site_id, c.session_id
                 ORDER BY c.ts, c.ping, c.tie ROWS UNBOUNDED PRECEDING)
), visit_hits AS (
    SELECT b.*, NOT b.ping AND b.actions_total - b.segment_base = 1 AS is_start,
           max(CASE WHEN NOT b.ping AND b.actions_total - b.segment_base = 1 THEN b.ts END)
               OVER w AS started_at
    FROM based b
    WINDOW w AS (PARTITION BY b.sign, b.site_id, b.session_id
                 ORDER BY b.ts, b.ping, b.tie ROWS UNBOUNDED PRECEDING)
), zones AS (
    -- the few zone periods of the sites at hand; looked up per visit
    SELECT z.* FROM site_zones z WHERE z.site_id IN (SELECT DISTINCT site_id FROM r_sessions)
)
INSERT INTO r_vhits
SELECT v.sign, v.site_id, v.session_id, v.segment, v.tie,
       NOT (v.first_continues AND v.segment = 1), v.started_at, v.is_start,
       v.ts, (v.ts AT TIME ZONE z.timezone)::date, date_trunc('hour', v.ts, z.timezone),
       (v.started_at AT TIME ZONE z.timezone)::date,
       v.action, v.page, v.title, v.target, v.search_keyword, v.search_count,
       v.event_category, v.event_action, v.event_name, v.event_value,
       v.goals, v.revenue, v.ec_subtotal, v.ec_tax, v.ec_shipping, v.ec_discount, v.ec_items,
       v.content_name, v.content_piece, v.content_target,
       v.pf_net, v.pf_srv, v.pf_tfr, v.pf_dm1, v.pf_dm2, v.pf_onl, v.dimensions
FROM visit_hits v
JOIN zones z ON z.site_id = v.site_id AND v.started_at >= z.since AND v.started_at < z.until
WHERE v.actions_total - v.segment_base > 0;
