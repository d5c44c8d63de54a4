"""Who may see what: users with per-site roles, their API tokens, dashboard sessions, share
links, and the one check every site-scoped route makes (`rights`)."""
