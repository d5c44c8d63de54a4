-- The filtered dashboard's visit numbers from raw hits, for filters by what a visit *did*
-- (viewed a page, sent an event of a category, converted a goal), which no aggregate keeps
-- per visit: raw hits only exist for the last RETENTION_DAYS, so the caller passes only days
-- they cover. group.sql follows it; the filters are facets.sql's ($4 … $11), and $12 page
-- viewed, $13 event category, $14 goal id.
--
-- Visits are split as the roll-up splits them (tests/reference/visit_hits.sql): a new visit
-- on a session's first action, after 30 minutes without a hit, or on new_visit=1; a
-- heartbeat never starts one, and pings before a visit's first action are left out; a
-- visit's values come from the hit that started it. Read from 30 minutes before the period,
-- so that a visit running into it is not taken for a new one; visits that started before
-- the period are left out. Unlike the aggregates, a visit that runs past local midnight
-- counts wholly on its first day.
WITH zone AS (
    SELECT timezone,
           $2::date::timestamp AT TIME ZONE timezone AS p_from,
           ($3::date + 1)::timestamp AT TIME ZONE timezone AS p_to
    FROM site_zones WHERE site_id = $1 AND until = 'infinity'
), marked AS (
    SELECT h.session_id, h.ts, h.ctid AS tie, h.action, h.action = 'ping' AS ping, h.url,
           h.event_category, h.goals, h.ref_type, h.ref_name, h.campaign_name, h.browser,
           h.os, h.device, h.country, z.timezone, z.p_from,
           coalesce((h.new_visit AND h.action <> 'ping')
                    OR h.ts - lag(h.ts) OVER w > interval '30 minutes', true) AS gap_start
    FROM zone z
    JOIN hits h ON h.site_id = $1 AND h.ts >= z.p_from - interval '30 minutes'
               AND h.ts < z.p_to
    WINDOW w AS (PARTITION BY h.session_id ORDER BY h.ts, h.action = 'ping', h.ctid)
), segmented AS (
    SELECT *, sum(gap_start::int) OVER (PARTITION BY session_id ORDER BY ts, ping, tie
                                        ROWS UNBOUNDED PRECEDING) AS segment
    FROM marked
), counted AS (
    SELECT *, count(*) FILTER (WHERE NOT ping)
                  OVER (PARTITION BY session_id, segment ORDER BY ts, ping, tie
                        ROWS UNBOUNDED PRECEDING) AS actions_so_far
    FROM segmented
), visits AS (
    SELECT session_id, segment, min(ts) AS started, min(timezone) AS timezone,
           min(p_from) AS p_from,
           count(*) FILTER (WHERE is_action(action)) AS actions,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           extract(epoch FROM max(ts) - min(ts))::bigint AS seconds,
           (array_agg(url_path(url) ORDER BY ts, tie) FILTER (WHERE action = 'pageview'))[1]
               AS entry_page,
           min(ARRAY[coalesce(ref_type, 'direct'), coalesce(ref_name, ''),
                     coalesce(campaign_name, ''), coalesce(browser, ''), coalesce(os, ''),
                     coalesce(device, ''), coalesce(country, '')])
               FILTER (WHERE actions_so_far = 1 AND NOT ping) AS v,
           bool_or(action = 'pageview' AND url_path(url) = $12) AS saw_page,
           bool_or(action = 'event' AND event_category = $13) AS saw_event,
           bool_or(coalesce(goals @> jsonb_build_array(jsonb_build_array($14::integer)), false))
               AS converted
    FROM counted
    WHERE actions_so_far > 0
    GROUP BY session_id, segment
), f AS (
    SELECT (started AT TIME ZONE timezone)::date AS day,
           date_trunc('hour', started AT TIME ZONE timezone) AT TIME ZONE timezone AS hour,
           v[1] AS ref_type, v[2] AS ref_name, v[3] AS campaign, v[4] AS browser, v[5] AS os,
           v[6] AS device, v[7] AS country, coalesce(entry_page, '') AS entry_page,
           1 AS visits, actions, pageviews, (actions <= 1)::int AS bounces,
           seconds AS visit_seconds
    FROM visits
    WHERE started >= p_from
      AND ($12::text IS NULL OR saw_page) AND ($13::text IS NULL OR saw_event)
      AND ($14::integer IS NULL OR converted)
      AND ($4::text IS NULL OR v[1] = $4) AND ($5::text IS NULL OR v[2] = $5)
      AND ($6::text IS NULL OR v[3] = $6) AND ($7::text IS NULL OR v[4] = $7)
      AND ($8::text IS NULL OR v[5] = $8) AND ($9::text IS NULL OR v[6] = $9)
      AND ($10::text IS NULL OR v[7] = $10) AND ($11::text IS NULL OR entry_page = $11)
)
