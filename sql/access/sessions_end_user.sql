-- Every session of a user: at a password change.
DELETE FROM dashboard_sessions WHERE user_id = :user_id;
