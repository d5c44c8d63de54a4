-- Grants, token and sessions go with the user (ON DELETE CASCADE).
DELETE FROM users WHERE name = :name RETURNING user_id;
