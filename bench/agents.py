#!/usr/bin/env python3
"""What a user agent costs on the hit path (enrich.parse_agent), first seen and cached,
against ua-parser alone in the same run (the baseline: what browser and OS cost anyway).

Corpus: the people's agents of DeviceDetector's fixtures and crawler-user-agents' instances
(tests/tracking/corpora.py; the packages are installed with the collector), shuffled.

- bots: the bot lists alone, every agent once (issue #17: at most 100 us);
- agent first sight: parse_agent with every cache empty, brands' model lists compiled as
  agents need them (as in a fresh process); agent uncached: the same again with the lists
  compiled (steady state: a new agent);
- devices: device_type alone, per-model cache empty;
- cached: the first 4,096 agents (the cache's size) again, 20 rounds (at most 1 us).

Usage:  python bench/agents.py [--agents 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector.tracking import devices, enrich  # noqa: E402
from collector.tracking.bots import bot_list  # noqa: E402
from collector.tracking.devices import device_list, device_type  # noqa: E402
from tests.tracking.corpora import crawler_instances, device_detector_people  # noqa: E402


def _per_agent_us(run: Callable[[str], object], agents: Sequence[str], rounds: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for agent in agents:
            run(agent)
    return (time.perf_counter() - start) / (len(agents) * rounds) * 1e6


def _clear() -> None:
    enrich._parse_agent.cache_clear()
    devices._model_type.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    corpus = sorted({f.user_agent for f in device_detector_people()} | set(crawler_instances()))
    random.Random(17).shuffle(corpus)
    agents = [a[: enrich.MAX_AGENT_LENGTH] for a in corpus[: args.agents]]
    build = time.perf_counter()
    bot_list()
    device_list()
    resolver = enrich._resolver()
    built_s = time.perf_counter() - build

    baseline = _per_agent_us(lambda a: resolver(a, enrich.Domain.ALL), agents)
    bots = _per_agent_us(bot_list().kind, agents)
    _clear()
    first_sight = _per_agent_us(enrich.parse_agent, agents)  # brands' models compiled on use
    _clear()
    uncached = _per_agent_us(enrich.parse_agent, agents)  # every list compiled: steady state
    _clear()
    devices_new_model = _per_agent_us(device_type, agents)
    hot = agents[: enrich.AGENT_CACHE_SIZE]
    for agent in hot:
        enrich.parse_agent(agent)
    cached = _per_agent_us(enrich.parse_agent, hot, rounds=20)
    result = {
        "agents": len(agents),
        "lists_built_s": round(built_s, 2),
        "baseline_ua_parser_us": round(baseline, 1),
        "bots_uncached_us": round(bots, 1),
        "bots_ratio": round(bots / baseline, 2),
        "agent_first_sight_us": round(first_sight, 1),
        "agent_uncached_us": round(uncached, 1),
        "agent_uncached_ratio": round(uncached / baseline, 2),
        "devices_uncached_us": round(devices_new_model, 1),
        "agent_cached_us": round(cached, 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
