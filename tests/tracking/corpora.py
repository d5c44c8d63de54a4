"""The public corpora the bot and device figures are measured on (README, "Enrichment"):
crawler-user-agents' instances and DeviceDetector's fixtures, as the installed packages ship
them. Shared by tests/tracking/test_agent_corpora.py and bench/agents.py."""

from __future__ import annotations

import functools
import glob
import json
from dataclasses import dataclass

import yaml

from collector.tracking.bots import package_dir

# DeviceDetector's client types that fetch without a person: counted as bots, not people
AUTOMATED_CLIENTS = frozenset({"library", "feed reader"})


@dataclass(frozen=True)
class Fixture:
    user_agent: str
    device_type: str  # DeviceDetector's: smartphone, tablet, desktop, tv, ...
    headers: tuple[tuple[str, str], ...]  # client hints sent with it, if any


@functools.cache
def crawler_instances() -> tuple[str, ...]:
    path = package_dir("crawleruseragents") / "crawler-user-agents.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    return tuple(sorted({i for e in entries for i in e["instances"]}))


@functools.cache
def _fixtures() -> tuple[tuple[str, dict], ...]:
    root = package_dir("device_detector") / "tests" / "fixtures" / "upstream"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for path in sorted(glob.glob(str(root / "*.yml"))):
        with open(path, encoding="utf-8") as f:
            out += [(path, entry) for entry in yaml.load(f, Loader=loader) or ()]
    return tuple(out)


@functools.cache
def device_detector_bots() -> tuple[str, ...]:
    return tuple(sorted({e["user_agent"] for _, e in _fixtures() if "bot" in e}))


@functools.cache
def device_detector_people() -> tuple[Fixture, ...]:
    """Fixtures of people's browsers and apps (no bot, no HTTP library or feed reader)."""
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], Fixture] = {}
    for _, e in _fixtures():
        client = e.get("client") or {}
        if "bot" in e or client.get("type") in AUTOMATED_CLIENTS:
            continue
        headers = tuple(sorted((k, str(v)) for k, v in (e.get("headers") or {}).items()))
        device = (e.get("device") or {}).get("type") or ""
        seen.setdefault((e["user_agent"], headers), Fixture(e["user_agent"], device, headers))
    return tuple(seen.values())
