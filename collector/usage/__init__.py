"""Web-server usage data ("Nutzungsdaten"): access logs in, IP truncated on arrival,
statistics out. Separate from the tracking hit path: no consent gate (the legal basis is
legitimate interest), no cookies, no sessions, its own tables and retention.

In the order a log line travels:

    listener.py   syslog over UDP and TCP (live)  ─┐
    importer.py   log files, gzip, stdin (batch)  ─┤  framing: syslog.py
                                                   ▼
    formats.py    an access-log line -> its fields, the address truncated at once
    intake.py     fields -> a `request.py` row (site, path, referrer, browser/OS, bot),
                  or a `Refusal` with its reason, counted
    writer.py     bounded queue -> batched COPY into `usage_requests` (hourly partitions)
    rollup.py     rows by arrival -> the `usage_agg_*` daily aggregates (sql/usage/rollup/)
    retention.py  the `usage` job: roll up, drop expired hours, fold or delete expired days
"""
