"""The figures issue #17 set, gated on public corpora nobody here wrote (README, "Enrichment"):
bots caught on crawler-user-agents' instances and DeviceDetector's bot fixtures, people
flagged on DeviceDetector's fixtures of browsers and apps. The corpora come from the
installed packages (tests/tracking/corpora.py); speed is measured in bench/agents.py."""

from __future__ import annotations

from collector.tracking.enrich import parse_agent
from tests.tracking.corpora import crawler_instances, device_detector_bots, device_detector_people

BOT_RECALL = 0.95
PEOPLE_FLAGGED = 0.0005


def _caught(corpus: tuple[str, ...]) -> float:
    return sum(parse_agent(ua).is_bot for ua in corpus) / len(corpus)


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
    flagged = sorted(ua for ua in people if parse_agent(ua).is_bot)
    assert len(flagged) / len(people) <= PEOPLE_FLAGGED, flagged
