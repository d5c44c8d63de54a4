-- A new dashboard user; the name is unique (a second add is refused by the constraint).
INSERT INTO users (name, password_hash) VALUES (:name, :password_hash) RETURNING user_id;
