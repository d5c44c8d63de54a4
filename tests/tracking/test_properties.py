"""Property tests (hypothesis): the parser never raises and answers bad input with a 4xx
`Reject`; encoded parameters round-trip; parse_hit never raises; visit splitting in SQL
matches a plain model of Matomo's 30-minute rule; every hit the pipeline accepts is stored by
a real COPY as it is."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import asyncpg
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from collector.retention.rollup import roll_up
from collector.sites import add_site
from collector.storage.db import create_pool, migrate
from collector.storage.partitions import ensure_partition, ensure_partitions
from collector.tracking.hit import COLUMNS, Hit
from collector.tracking.params import (
    LIMITS,
    MAX_PARAMS,
    HitContext,
    Reject,
    Site,
    parse_hit,
    parse_query,
)
from collector.tracking.pipeline import process_hit
from tests.reference import install
from tests.support import CHROME_UA

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
SITE = Site(1, "s", ("example.org",))
CTX = HitContext(uuid.UUID(int=1).hex, False, "198.51.0.0", "ua", "de-DE", NOW)

# Text that looks like what arrives: percent signs, plus, ampersands, non-ASCII, controls.
junk = st.text(
    alphabet=st.sampled_from("%&=+;?#/ aZ09\x00\x7f\u00e9\u20ac\U0001f600") | st.characters(),
    max_size=200,
)


@given(junk)
def test_parse_query_never_raises_and_refuses_with_a_4xx(query: str) -> None:
    result = parse_query(query)
    if isinstance(result, Reject):
        assert 400 <= result.status < 500 and result.reason
    else:
        assert all("\0" not in k + v for k, v in result.items())


params_dicts = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=20),
    st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=50),
    max_size=MAX_PARAMS,
)


@given(params_dicts, st.booleans())
def test_encoded_parameters_round_trip(params: dict[str, str], plus: bool) -> None:
    query = urlencode(params) if plus else urlencode(params, quote_via=quote)
    result = parse_query(query)
    if len(query) > LIMITS["query"]:
        assert result == Reject(414, "query string too long")
    else:
        assert result == params


@given(
    st.lists(
        st.tuples(st.sampled_from(["url", "idsite", "action_name"]), st.text(max_size=10)),
        max_size=6,
    )
)
def test_a_repeated_parameter_keeps_its_last_value_as_in_php(pairs: list) -> None:
    safe = [(k, v.encode("utf-8", "replace").decode().replace("\0", "")) for k, v in pairs]
    assert parse_query(urlencode(safe, quote_via=quote)) == dict(safe)


@given(st.binary(max_size=40))
def test_escaped_bytes_are_refused_unless_they_are_utf8_without_nul(raw: bytes) -> None:
    result = parse_query("v=" + quote(raw, safe=""))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert isinstance(result, Reject) and result.status == 400  # as bad UTF-8, or NUL
        return
    if "\0" in text:
        assert result == Reject(400, "NUL byte in parameters")
    else:  # a U+FFFD that was sent (not made by decoding bad bytes) is kept
        assert result == {"v": text}


def test_a_sent_replacement_character_is_kept_and_a_made_one_refused() -> None:
    assert parse_query("t=Stra%EF%BF%BDe") == {"t": "Stra\ufffde"}
    assert parse_query("t=Stra\ufffde") == {"t": "Stra\ufffde"}
    assert parse_query("t=%EF%BF%BD&u=%FF") == Reject(400, "parameters are not valid UTF-8")


numbers = st.one_of(
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(["1e400", "-0", "nan", "inf", "0x10", "1_000", " 1", "9" * 40]),
)
dates = st.one_of(
    numbers,
    st.datetimes(timezones=st.timezones() | st.just(UTC)).map(str),
    st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00+23:59", "2026-13-01"]),
)
hit_params = st.fixed_dictionaries(
    {"rec": st.sampled_from(["1", "0", ""]), "idsite": st.sampled_from(["1", "2", "-1", "x"])},
    optional={
        "url": st.sampled_from(["https://example.org/", "https://a.example.org/x", "ftp://x"])
        | junk,
        "urlref": junk,
        "cdt": dates,
        "token_auth": st.sampled_from(["t", "", "wrong"]),
        "e_c": junk,
        "e_a": junk,
        "e_v": numbers,
        "search": junk,
        "search_count": numbers,
        "download": junk,
        "link": junk,
        "res": junk,
        "lang": junk,
        "pv_id": junk,
        "action_name": junk,
    },
)


@given(hit_params)
def test_parse_hit_never_raises(params: dict[str, str]) -> None:
    result = parse_hit(params, CTX, {1: SITE}.get, api_token="t", retention_days=7)
    if isinstance(result, Reject):
        assert 400 <= result.status < 500
    else:
        assert isinstance(result, Hit) and result.ts <= NOW + timedelta(minutes=10)


# -- visit splitting ----------------------------------------------------------------------

gaps = st.lists(
    st.tuples(
        st.one_of(st.integers(1, 7200), st.sampled_from([1799, 1800, 1801])),  # seconds
        st.booleans(),  # new_visit=1
    ),
    min_size=1,
    max_size=12,
)


def visits_model(hits: list[tuple[datetime, bool]]) -> int:
    """Matomo's rule: a visit starts on the first hit, after > 30 minutes, or on new_visit."""
    return sum(
        1
        for i, (ts, new) in enumerate(hits)
        if i == 0 or new or ts - hits[i - 1][0] > timedelta(minutes=30)
    )


async def _sql_visits(dsn: str, hits: list[tuple[datetime, bool]]) -> tuple[int, int]:
    """(visits of the reference derivation, visits the roll-up counted) for one session."""
    session = uuid.uuid4().hex
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    try:
        await migrate(conn)  # when this test runs first or alone
        await install(conn)
        site = await add_site(conn, "split", [f"split-{session[:8]}.example"])
        await ensure_partitions(conn, hits[0][0], int((hits[-1][0] - hits[0][0]) / HOUR) + 2)
        rows = [
            Hit(site, ts, session, new, "pageview", "https://example.org/").record()
            for ts, new in hits
        ]
        await conn.copy_records_to_table("hits", records=rows, columns=COLUMNS)
        reference: int = await conn.fetchval(
            "SELECT count(*) FILTER (WHERE visit_start) FROM pg_temp.visit_hits($1)", site
        )
        until = await conn.fetchval("SELECT clock_timestamp()")
        await roll_up(conn, hits[-1][0] + HOUR, 7, arrived_until=until)
        counted: int = await conn.fetchval(
            "SELECT coalesce(sum(visits), 0) FROM agg_site_hours WHERE site_id = $1", site
        )
        return reference, counted
    finally:
        await conn.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gaps)
def test_visit_splitting_in_sql_matches_the_30_minute_model(
    database_url: str, steps: list[tuple[int, bool]]
) -> None:
    # within retention of the real clock: the test shares the database with running apps
    ts, hits = datetime.now(UTC) - timedelta(days=2), []
    for gap, new in steps:
        ts += timedelta(seconds=gap)
        hits.append((ts, new))
    expected = visits_model(hits)
    assert asyncio.run(_sql_visits(database_url, hits)) == (expected, expected)


# -- whatever the pipeline accepts, PostgreSQL stores -------------------------------------

# Percent-escapes that decode to what text columns cannot hold, or to something that does
# once decoded again (a campaign in the page URL is decoded twice: `url=`, then its query).
escapes = st.sampled_from(
    ["%00", "%2500", "%25", "%FF", "%25FF", "%ED%A0%80", "%25ED%25A0%2580", "%C3%A9", "%2B"]
)
pieces = st.lists(escapes | junk | st.sampled_from(["=", "&", "#", "?", "+", " "]), max_size=8)
names = st.sampled_from(["mtm_campaign", "pk_campaign", "utm_campaign", "MTM_CAMPAIGN"])
fields = st.sampled_from(["mtm_source", "utm_medium", "mtm_kwd", "pk_content", "utm_term"])
tags = st.builds(lambda k, v: f"{k}={''.join(v)}", names | fields, pieces)
page_urls = st.builds(
    lambda path, name, value, more, hash_: (
        f"https://example.org/{path}{hash_}?{name}="
        + "".join(value)
        + "".join("&" + t for t in more)
    ),
    st.text(st.sampled_from("az09-_/.%~"), max_size=10),
    names,
    pieces,
    st.lists(tags, max_size=3),
    st.sampled_from(["", "#/route", "#"]),  # Matomo also reads a campaign from the fragment
)
url_params = st.one_of(  # surrogatepass: a lone surrogate as the bytes a buggy client sends
    page_urls.map(lambda url: quote(url, safe="", errors="surrogatepass")),  # as trackers do
    page_urls.map(lambda url: quote(url, safe="%=&?/:#", errors="surrogatepass")),
    page_urls,
)
texts = st.lists(escapes | junk, max_size=4).map("".join)
extra_params = st.fixed_dictionaries(
    {},
    optional={
        "action_name": texts,
        "search": texts,
        "search_cat": texts,
        "lang": texts,
        "e_c": texts,
        "e_a": texts,
        "e_n": texts,
        "urlref": page_urls.map(lambda url: url.replace("example.org", "www.Ref.example", 1)),
    },
)
agents = st.sampled_from([CHROME_UA, ""]) | st.text(max_size=80).map(lambda t: CHROME_UA + t)


async def _round_trip(dsn: str, hit: Hit) -> tuple[object, ...] | None:
    """COPY the hit's row into `hits`, as the writer does, and read it back."""
    pool = await create_pool(dsn, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await ensure_partition(conn, hit.ts)
            await conn.copy_records_to_table("hits", records=[hit.record()], columns=COLUMNS)
            row = await conn.fetchrow(
                f"SELECT {', '.join(COLUMNS)} FROM hits WHERE session_id = $1", hit.session_id
            )
    finally:
        await pool.close()
    return None if row is None else tuple(row)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=url_params, extra=extra_params, agent=agents, language=junk)
@example(
    url="http%3A%2F%2Fexample.org%2F%3Fmtm_campaign%3D%2500", extra={}, agent=CHROME_UA, language=""
)  # issue 14: answered 200, then refused by COPY and lost
def test_every_hit_the_pipeline_accepts_is_stored_as_it_is(
    database_url: str, url: str, extra: dict[str, str], agent: str, language: str
) -> None:
    query = f"idsite=1&rec=1&url={url}&" + urlencode(extra, errors="surrogatepass")
    params = parse_query(query)
    if isinstance(params, Reject):
        event("query refused")
        return
    ctx = HitContext(uuid.uuid4().hex, True, "198.51.0.0", agent, language, NOW)
    hit = process_hit(params, ctx, {1: SITE}.get, api_token=None, retention_days=7)
    if not isinstance(hit, Hit):
        event("hit refused or dropped")
        return
    event("stored" + (" with a campaign" if hit.campaign_name else ""))
    stored = asyncio.run(_round_trip(database_url, hit))
    assert stored is not None
    expected = hit.record()
    session = COLUMNS.index("session_id")
    assert str(stored[session]).replace("-", "") == expected[session]
    assert stored[:session] + stored[session + 1 :] == expected[:session] + expected[session + 1 :]
