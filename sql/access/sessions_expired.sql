-- Sessions past their end; run at each login, so the table stays small without a job.
DELETE FROM dashboard_sessions WHERE expires_at <= :now;
