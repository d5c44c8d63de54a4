-- The filtered dashboard's visit numbers from raw hits, for filters by what a visit *did*
-- (viewed a page, sent an event of a category, converted a goal), which no aggregate keeps
-- per visit: raw hits only exist for the last RETENTION_DAYS, so the caller passes only days
-- they cover. Visits are split as Matomo does (visit_hits: a 30-minute gap or new_visit=1),
-- their values taken from their first hit; the shape and filters are facets.sql's, plus
-- $12 page viewed, $13 event category, $14 goal id. A visit cut at local midnight counts
-- wholly on its first day here (the aggregates count its later hits on the next day).
WITH zone AS (
    SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'
), vh AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).url, (v.hit).event_category, (v.hit).goals, (v.hit).ref_type,
           (v.hit).ref_name, (v.hit).campaign_name, (v.hit).browser, (v.hit).os,
           (v.hit).device, (v.hit).country, z.timezone
    FROM zone z,
         visit_hits($1, $2::date::timestamp AT TIME ZONE z.timezone,
                    ($3::date + 1)::timestamp AT TIME ZONE z.timezone) v
), visits AS (
    SELECT session_id, visit_no, min(ts) AS started, min(timezone) AS timezone,
           count(*) FILTER (WHERE is_action(action)) AS actions,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           extract(epoch FROM max(ts) - min(ts))::bigint AS seconds,
           (array_agg(url_path(url) ORDER BY ts) FILTER (WHERE action = 'pageview'))[1]
               AS entry_page,
           (array_agg(ARRAY[coalesce(ref_type, 'direct'), coalesce(ref_name, ''),
                            coalesce(campaign_name, ''), coalesce(browser, ''), coalesce(os, ''),
                            coalesce(device, ''), coalesce(country, '')]
                      ORDER BY ts) FILTER (WHERE visit_start))[1] AS v,
           bool_or(action = 'pageview' AND url_path(url) = $12) AS saw_page,
           bool_or(action = 'event' AND event_category = $13) AS saw_event,
           bool_or(goals @> jsonb_build_array(jsonb_build_array($14::integer))) AS converted
    FROM vh
    GROUP BY session_id, visit_no
    HAVING bool_or(visit_start) AND bool_or(action <> 'ping')
), f AS (
    SELECT (started AT TIME ZONE timezone)::date AS day,
           date_trunc('hour', started AT TIME ZONE timezone) AT TIME ZONE timezone AS hour,
           v[1] AS ref_type, v[2] AS ref_name, v[3] AS campaign, v[4] AS browser, v[5] AS os,
           v[6] AS device, v[7] AS country, coalesce(entry_page, '') AS entry_page,
           1 AS visits, actions, pageviews, (actions <= 1)::int AS bounces,
           seconds AS visit_seconds
    FROM visits
    WHERE ($12::text IS NULL OR saw_page) AND ($13::text IS NULL OR saw_event)
      AND ($14::integer IS NULL OR converted)
      AND ($4::text IS NULL OR v[1] = $4) AND ($5::text IS NULL OR v[2] = $5)
      AND ($6::text IS NULL OR v[3] = $6) AND ($7::text IS NULL OR v[4] = $7)
      AND ($8::text IS NULL OR v[5] = $8) AND ($9::text IS NULL OR v[6] = $9)
      AND ($10::text IS NULL OR v[7] = $10) AND ($11::text IS NULL OR entry_page = $11)
)
