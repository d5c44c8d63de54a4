-- Grant (or change) a user's role on a site.
INSERT INTO user_sites (user_id, site_id, role) VALUES (:user_id, :site_id, :role)
ON CONFLICT (user_id, site_id) DO UPDATE SET role = EXCLUDED.role;
