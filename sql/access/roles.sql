-- The sites a user may see, and how.
SELECT site_id, role FROM user_sites WHERE user_id = :user_id ORDER BY site_id;
