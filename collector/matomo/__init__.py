"""A subset of Matomo's Reporting API (`index.php?module=API&method=…`) over our reports, so
that Matomo's report consumers (Looker Studio's connector, scripts, Grafana) keep working."""
