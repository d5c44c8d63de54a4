SELECT user_id, name, password_hash FROM users WHERE name = :name;
