-- Live: the page each visitor of the window viewed last, counted per page (URL path).
SELECT page, count(*) AS visitors
FROM (SELECT DISTINCT ON (session_id) url_path(url) AS page
      FROM hits
      WHERE site_id = :site AND ts >= :since AND ts < :until AND action = 'pageview'
      ORDER BY session_id, ts DESC) last_pages
GROUP BY page
ORDER BY visitors DESC, page COLLATE "C"
LIMIT :limit;
