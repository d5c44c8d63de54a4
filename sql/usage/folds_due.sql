-- Usage days to fold (or forget): not folded yet, and all their raw rows gone (every hour of
-- the day's local span, in each zone the site has had, older than :raw_gone_before rounded
-- up to its partition's hour). As sql/retention/folds_due.sql for hits.
SELECT s.site_id, d.day
FROM sites s
CROSS JOIN LATERAL (
    SELECT DISTINCT a.day
    FROM usage_agg_hours a
    WHERE a.site_id = s.site_id
      AND a.day > coalesce((SELECT max(f.day) FROM usage_folded_days f
                            WHERE f.site_id = s.site_id), '-infinity'::date)
) d
WHERE (SELECT max(date_trunc('hour', ((d.day + 1)::timestamp AT TIME ZONE z.timezone)
                                     - interval '1 microsecond') + interval '1 hour')
       FROM site_zones z WHERE z.site_id = s.site_id) <= :raw_gone_before
ORDER BY d.day, s.site_id;
