"""Goals and custom dimensions: the commands as a user runs them, the matching rules as
Matomo's GoalManager has them, and ec_items cleaned as Matomo cleans them."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from collector.tracking.ecommerce import BadItems, clean_items
from collector.tracking.goals import Goal, converted
from tests.test_cli import collector, env

__all__ = ["env"]


def test_goal_commands_add_list_and_delete(env: dict[str, str]) -> None:
    site = collector("site", "add", "--name", "Shop", "--domain", "goals.example", env=env).strip()
    goal = collector(
        "goal", "add", "--site", site, "--name", "Contact", "--match", "url",
        "--pattern", "/contact", "--revenue", "2.5", env=env,
    ).strip()  # fmt: skip
    manual = collector(
        "goal", "add", "--site", site, "--name", "Signup", "--match", "manual",
        "--allow-multiple", env=env,
    ).strip()  # fmt: skip
    listing = orjson.loads(collector("goal", "list", "--site", site, "--format", "json", env=env))
    assert [(g["goal_id"], g["name"], g["match"]) for g in listing] == [
        (int(goal), "Contact", "url"),
        (int(manual), "Signup", "manually"),
    ]
    assert listing[0]["pattern_type"] == "contains" and listing[0]["revenue"] == 2.5
    assert listing[1]["allow_multiple"] is True and listing[1]["pattern"] is None
    assert "deleted" in collector("goal", "delete", goal, env=env)
    listing = orjson.loads(collector("goal", "list", "--site", site, "--format", "json", env=env))
    assert [g["goal_id"] for g in listing] == [int(manual)]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--match", "url"], "needs a pattern"),
        (["--match", "url", "--pattern", "(", "--pattern-type", "regex"], "regular expression"),
        (["--match", "manual", "--pattern", "/x"], "no pattern"),
    ],
)
def test_a_goal_that_cannot_match_is_refused_with_a_reason(
    env: dict[str, str],
    args: list[str],
    reason: str,
) -> None:
    site = collector("site", "add", "--name", "S", "--domain", "bad-goal.example", env=env).strip()
    done = subprocess.run(
        [sys.executable, "-m", "collector", "goal", "add", "--site", site, "--name", "G", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and reason in done.stderr


def test_dimension_commands_add_list_and_delete(env: dict[str, str]) -> None:
    site = collector("site", "add", "--name", "S", "--domain", "dims.example", env=env).strip()
    added = collector(
        "dimension", "add", "--site", site, "--name", "Member", "--scope", "visit", env=env
    )
    dimension_id, parameter = added.split()
    assert parameter == f"dimension{dimension_id}"
    listing = orjson.loads(
        collector("dimension", "list", "--site", site, "--format", "json", env=env)
    )
    assert listing == [
        {
            "dimension_id": int(dimension_id),
            "name": "Member",
            "scope": "visit",
            "parameter": parameter,
        }
    ]
    collector("dimension", "delete", dimension_id, env=env)
    assert collector("dimension", "list", "--site", site, env=env).strip() == "(no rows)"


def _hit_of(**fields: str | None) -> object:
    return lambda name: fields.get(name)


@pytest.mark.parametrize(
    ("goal", "action", "fields", "matches"),
    [
        (Goal(1, "g", "url", "contains", "/Thanks"), "pageview", {"url": "https://x/thanks"}, True),
        (
            Goal(1, "g", "url", "contains", "/Thanks", case_sensitive=True),
            "pageview",
            {"url": "https://x/thanks"},
            False,
        ),
        (Goal(1, "g", "url", "exact", "https://x/a"), "pageview", {"url": "https://x/a?b"}, False),
        (Goal(1, "g", "url", "regex", r"/a\?b$"), "pageview", {"url": "https://x/a?b"}, True),
        # Matomo also tries the pattern URL-decoded
        (Goal(1, "g", "url", "contains", "%C3%BC"), "pageview", {"url": "https://x/ü"}, True),
        (Goal(1, "g", "title", "contains", "404"), "pageview", {"title": "Error 404"}, True),
        (Goal(1, "g", "url", "contains", "/a"), "download", {"url": "https://x/a"}, False),
        (
            Goal(1, "g", "file", "contains", ".pdf"),
            "download",
            {"target_url": "https://x/a.pdf"},
            True,
        ),
        (
            Goal(1, "g", "external_website", "contains", "partner"),
            "outlink",
            {"target_url": "https://partner.example/"},
            True,
        ),
        (Goal(1, "g", "event_action", "exact", "play"), "event", {"event_action": "Play"}, True),
        (Goal(1, "g", "event_name", "exact", "intro"), "event", {"event_name": None}, False),
        (Goal(1, "g", "manually"), "pageview", {"url": "https://x/"}, False),
    ],
)
def test_goals_match_as_matomos_goal_manager_matches(
    goal: Goal, action: str, fields: dict[str, str], matches: bool
) -> None:
    found = converted((goal,), action, _hit_of(**fields), None, None)  # type: ignore[arg-type]
    assert (found is not None) is matches


def test_a_sent_revenue_wins_and_an_event_goal_may_take_the_event_value() -> None:
    fixed = Goal(1, "g", "url", "contains", "/", revenue=3)
    events = Goal(2, "e", "event_category", "contains", "Video", event_value_as_revenue=True)
    every = Goal(3, "m", "url", "contains", "/", allow_multiple=True)
    assert orjson.loads(converted((fixed, every), "pageview", _hit_of(url="/"), None, None)) == [
        [1, 3, True],
        [3, None, False],
    ]
    assert orjson.loads(converted((fixed,), "pageview", _hit_of(url="/"), 8.5, None)) == [
        [1, 8.5, True]
    ]
    found = converted((events,), "event", _hit_of(event_category="Video"), None, 4.0)
    assert orjson.loads(found) == [[2, 4.0, True]]


def test_ec_items_are_cleaned_as_matomo_cleans_them() -> None:
    raw = orjson.dumps(
        [
            ["SKU1", "Book", "Books", "12.499", "2"],
            ["", "no sku", "", 1, 1],  # skipped
            ["SKU2"],  # name, category '', price 0, quantity 1
            ["SKU3", "Pen", ["A", "", "B", "C", "D", "E", "F"], "n/a", 0],
            "not an item",
            [4711, 12, None, 3, 1.9],
        ]
    ).decode()
    assert orjson.loads(clean_items(raw) or "null") == [
        ["SKU1", "Book", "Books", 12.5, 2],
        ["SKU2", "", "", 0, 1],
        ["SKU3", "Pen", "A, B, C, D, E", 0, 1],
        ["4711", "12", "", 3.0, 1],
    ]
    assert clean_items("[]") is None


@pytest.mark.parametrize(
    "raw", ["[", '{"a": 1', '"text"', '[["S", "n", "c", 1e300, 1]]', '[["a\\u0000b"]]']
)
def test_malformed_ec_items_are_refused(raw: str) -> None:
    with pytest.raises(BadItems):
        clean_items(raw)
