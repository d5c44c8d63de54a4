"""The figures issue #17 set, gated on public corpora nobody here wrote (README, "Enrichment"):
bots caught on crawler-user-agents' instances and DeviceDetector's bot fixtures, people
flagged on DeviceDetector's fixtures of browsers and apps, device types as DeviceDetector
gives them on those fixtures. The corpora come from the
installed packages (tests/tracking/corpora.py); speed is measured in bench/agents.py."""

from __future__ import annotations

import orjson
import pytest

from collector.tracking.devices import Hints, request_hints
from collector.tracking.enrich import bot_kind, families, parse_agent
from tests.tracking.corpora import (
    Fixture,
    crawler_instances,
    device_detector_bots,
    device_detector_people,
)

# Tens of thousands of agents, each parsed once (no cache helps): minutes on a busy machine.
pytestmark = pytest.mark.timeout(600)

BOT_RECALL = 0.95
PEOPLE_FLAGGED = 0.0005


def _caught(corpus: tuple[str, ...]) -> float:
    return sum(bot_kind(ua) is not None for ua in corpus) / len(corpus)


def test_at_least_95_percent_of_crawler_user_agents_instances_are_bots() -> None:
    corpus = crawler_instances()
    assert len(corpus) > 2000
    assert _caught(corpus) >= BOT_RECALL


def test_at_least_95_percent_of_device_detector_bot_fixtures_are_bots() -> None:
    corpus = device_detector_bots()
    assert len(corpus) > 1000
    assert _caught(corpus) >= BOT_RECALL


def test_at_most_0_05_percent_of_device_detector_people_are_taken_for_bots() -> None:
    people = {f.user_agent for f in device_detector_people()}
    assert len(people) > 30_000
    flagged = sorted(ua for ua in people if bot_kind(ua) is not None)
    assert len(flagged) / len(people) <= PEOPLE_FLAGGED, flagged


# DeviceDetector's types and ours; its other types (tv, console, car browser, wearable,
# camera, smart speaker, ...) have no place in desktop/mobile/tablet and are left out.
DEVICE_TYPES = {
    "smartphone": "mobile",
    "phablet": "mobile",
    "feature phone": "mobile",
    "tablet": "tablet",
    "desktop": "desktop",
}
DEVICE_AGREEMENT = 0.97


def fixture_hints(fixture: Fixture) -> Hints:
    """What the collector would read of the fixture's client hints: the Sec-CH-UA-Mobile and
    -Platform headers, and the JavaScript API's values as matomo.js sends them in `uadata`
    (the fixtures' lowercase keys). Sec-CH-UA-Model is a header only sent on request
    (Accept-CH), which the collector never makes."""
    headers = {k.lower(): v for k, v in fixture.headers}
    api = {k: headers[k] for k in ("mobile", "platform", "model") if k in headers}
    if "mobile" in api:
        api["mobile"] = api["mobile"] in ("1", "True", "true")
    uadata = orjson.dumps(api).decode() if api else None
    return request_hints(
        headers.get("sec-ch-ua-mobile"), headers.get("sec-ch-ua-platform"), uadata, own_agent=True
    )


def test_device_types_agree_with_device_detector_on_97_percent_of_its_fixtures() -> None:
    fixtures = [f for f in device_detector_people() if f.device_type in DEVICE_TYPES]
    assert len(fixtures) > 30_000
    differ = [
        f
        for f in fixtures
        if parse_agent(f.user_agent, fixture_hints(f)).device != DEVICE_TYPES[f.device_type]
    ]
    assert 1 - len(differ) / len(fixtures) >= DEVICE_AGREEMENT, differ[:20]


def test_the_usage_datas_families_are_parse_agents_without_the_device() -> None:
    # enrich.families (web-server usage rows) asks ua-parser for less and skips the device
    # lists; what it gives must be what parse_agent gives, on every kind of agent.
    people = sorted({f.user_agent for f in device_detector_people()})[::20]
    agents = [*people, *device_detector_bots()[::10], "", "-", "curl/8.5.0"]
    assert len(agents) > 1500
    for ua in agents:
        agent = parse_agent(ua)
        assert families(ua) == (agent.browser, agent.os, agent.is_bot), ua
