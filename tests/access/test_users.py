"""Users: passwords as Argon2id, tokens as digests, roles per site, the commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from collector.access import users
from collector.access.passwords import verify_password
from tests.access.conftest import PASSWORD, People
from tests.support import dump_database, request


async def test_passwords_and_tokens_are_never_stored_as_given(people: People) -> None:
    dump = await dump_database(people.server.pool)
    assert PASSWORD not in dump
    for token in people.tokens.values():
        assert token not in dump
    async with people.server.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT password_hash FROM users WHERE name = $1", people.names["viewer"]
        )
    assert stored.startswith("$argon2id$") and verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")


async def test_a_new_token_replaces_the_old_one(people: People) -> None:
    name = people.names["other"]
    async with people.server.pool.acquire() as conn:
        old = await users.new_token(conn, name)
        new = await users.new_token(conn, name)
    assert len(new) == 32 and new != old  # Matomo's token_auth shape: 32 hex characters
    url = f"{people.base}/api/reports/summary?site={people.site_b}"
    assert (await request("GET", url, headers={"Authorization": f"Bearer {old}"}))[0] == 401
    assert (await request("GET", url, headers={"Authorization": f"Bearer {new}"}))[0] == 200
    people.tokens["other"] = new


async def test_bad_names_passwords_roles_and_sites_are_refused(people: People) -> None:
    async with people.server.pool.acquire() as conn:
        for name in ("", "a b", "x" * 65, "-lead", "ümlaut"):
            with pytest.raises(ValueError, match="user name"):
                await users.add_user(conn, name, PASSWORD)
        with pytest.raises(ValueError, match="password"):
            await users.add_user(conn, "shortpw", "short")
        with pytest.raises(ValueError, match="exists"):
            await users.add_user(conn, people.names["viewer"], PASSWORD)
        with pytest.raises(ValueError, match="role"):
            await users.grant(conn, people.names["viewer"], people.site_a, "owner")
        with pytest.raises(ValueError, match="unknown site"):
            await users.grant(conn, people.names["viewer"], 987_654_321, "view")
        with pytest.raises(ValueError, match="unknown user"):
            await users.new_token(conn, "nobody-here")


def collector(*args: str, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "collector", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_user_and_share_commands(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }
    site = collector("site", "add", "--name", "Library", "--domain", "library.example", env=env)
    site_id = site.strip()
    name = f"librarian{os.getpid()}"
    collector("user", "add", name, env=env, stdin="a password from stdin\n")
    collector("user", "grant", name, "--site", site_id, "--role", "admin", env=env)
    token = collector("user", "token", name, env=env).strip()
    assert len(token) == 32
    listed = collector("user", "list", env=env)
    assert f"{name}\t{site_id}:admin\ttoken" in listed and token not in listed
    share_id, path = collector(
        "share", "add", "--site", site_id, "--card", "pages", env=env
    ).split()
    assert path.startswith("/share/")
    shared = collector("share", "list", "--site", site_id, env=env)
    assert f"{share_id}\tsite {site_id}\tpages" in shared and path not in shared
    collector("share", "revoke", share_id, env=env)
    assert "revoked" in collector("share", "list", "--site", site_id, env=env)
    collector("user", "password", name, env=env, stdin="another password\n")
    collector("user", "delete", name, env=env)
    assert name not in collector("user", "list", env=env)
