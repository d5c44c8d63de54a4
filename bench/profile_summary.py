#!/usr/bin/env python3
"""Where a py-spy speedscope profile of the collector spent its samples, in the buckets the
README's benchmark note uses. Usage: python bench/profile_summary.py FILE.json [--top 25]

Buckets are by the innermost frame of ours or aiohttp's on each sample's stack (the stack
read from the inside out): a sample inside orjson called from the writer counts as writer.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

# (bucket, test on a frame's file): first match from the innermost frame outwards wins.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("writer (queue, COPY encoding)", ("collector/storage/",)),
    (
        "fast path (pixel protocol, predispatch, raw answer)",
        ("pixel_protocol", "predispatch", "raw_answer"),
    ),
    ("hit path (endpoint, params, enrich, …)", ("collector/tracking/", "collector/metrics")),
    ("other collector code", ("collector/",)),
    ("aiohttp response (prepare, headers, write)", ("web_response", "http_writer", "helpers")),
    ("aiohttp routing and app dispatch", ("web_app", "web_urldispatcher", "web_middlewares")),
    ("aiohttp request (parser, Request object)", ("web_request", "http_parser", "multidict")),
    ("aiohttp protocol (per-request task, keep-alive)", ("web_protocol", "base_protocol")),
    ("asyncpg", ("asyncpg/",)),
    ("event loop and socket I/O", ("asyncio/", "uvloop", "selectors")),
]


# Python frames whose own time is C code they call: uvloop's loop (epoll, socket reads,
# its callbacks) under the function that runs it; the send system call under the write.
LEAVES = {
    "run_one": "event loop (uvloop, C: epoll, reads)",
    "run_app": "event loop (uvloop, C: epoll, reads)",
    "RawAnswer.prepare": "socket writes (transport.write)",
    "_send": "socket writes (transport.write)",
    "StreamWriter._writelines": "socket writes (transport.write)",
}


def _bucket(stack: list[dict]) -> str:
    if stack and (leaf := LEAVES.get(stack[-1]["name"])):
        return leaf
    for frame in reversed(stack):
        where = frame.get("file") or ""
        for name, tests in BUCKETS:
            if any(t in where for t in tests):
                return name
    return "other (interpreter, idle, GC)"


def summarise(path: Path, top: int = 20) -> str:
    doc = json.loads(path.read_text())
    frames = doc["shared"]["frames"]
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    unit = 0  # samples inside process_hit: the same parse, validate and enrich in any build
    for profile in doc["profiles"]:
        weights = profile.get("weights") or [1] * len(profile["samples"])
        for sample, weight in zip(profile["samples"], weights, strict=True):
            stack = [frames[i] for i in sample]
            # py-spy --idle is off: every sample is a thread on CPU
            total += weight
            buckets[_bucket(stack)] += weight
            if any(frame["name"] == "process_hit" for frame in stack):
                unit += weight
            if stack:
                leaf = stack[-1]
                leaves[f"{leaf['name']} ({Path(leaf.get('file') or '?').name})"] += weight
    if not total:
        return "no samples"
    lines = [f"{total:.1f} s of samples"]  # py-spy weighs each sample by its interval
    if unit:
        # Shares of one process under the same load: steadier than CPU per hit on a busy
        # machine. All of it over process_hit (the hit path's core, the same code before and
        # after a change around it) is what the rest costs in those units.
        lines.append(f"{total / unit:.2f} units: all samples over those inside process_hit")
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in buckets.most_common()]
    lines.append(f"top {top} innermost frames:")
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    print(summarise(args.file, args.top))


if __name__ == "__main__":
    main()
