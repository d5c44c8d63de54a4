DELETE FROM user_sites WHERE user_id = :user_id AND site_id = :site_id RETURNING site_id;
