-- At expiry: pages seen in fewer than :min_count visits that day become '(others)' (their
-- measures summed into it), so no row that outlives the raw data describes a single visit;
-- and so do all but the :max_rows pages seen in most visits, as Matomo truncates its archives,
-- so that a report over a year reads a bounded number of rows a day.
-- Every fold step has this shape; the steps of one day run in one transaction.
WITH gone AS (
    DELETE FROM agg_pages
    WHERE site_id = :site AND day = :day AND page <> '(others)'
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_pages WHERE site_id = :site AND day = :day AND page <> '(others)'
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_pages AS a (site_id, day, page, pageviews, visits, entries, bounces, exits)
    SELECT :site, :day, '(others)', sum(pageviews), sum(visits), sum(entries), sum(bounces),
           sum(exits)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, page) DO UPDATE SET
        pageviews = a.pageviews + excluded.pageviews, visits = a.visits + excluded.visits,
        entries = a.entries + excluded.entries, bounces = a.bounces + excluded.bounces,
        exits = a.exits + excluded.exits
    RETURNING 1
)
SELECT count(*) FROM gone;
