DELETE FROM dashboard_sessions WHERE session_digest = :digest;
