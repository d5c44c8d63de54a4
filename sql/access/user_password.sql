-- A new password; the caller ends the user's sessions in the same transaction.
UPDATE users SET password_hash = :password_hash, password_changed_at = now()
WHERE name = :name RETURNING user_id;
