#!/usr/bin/env python3
"""A/B of bench/throughput.py between checkouts, runs alternating (A B A B …), so that a
shared, noisy machine weighs on both alike. Each run measures its own baseline, so the
ratio (collector ÷ bare aiohttp, same run) is the figure to compare, with cpu_ratio (the
baseline's CPU per hit ÷ the collector's) beside it. Usage:

    git archive main | tar -x -C /tmp/ab-main          # e.g. A = main, B = this checkout
    python bench/ab.py /tmp/ab-main . [more checkouts] [--rounds 3] [--seconds 5] [-- --workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KEYS = ("ratio", "cpu_ratio", "collector_rps", "baseline_rps", "p99_ms", "cpu_us_per_hit", "lost")


def run(checkout: Path, seconds: int, warmup: int, extra: list[str]) -> dict:
    script = checkout / "bench" / "throughput.py"
    cmd = [sys.executable, str(script), "--seconds", str(seconds), "--json", *extra]
    cmd += ["--warmup", str(warmup)] if warmup else []
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=os.environ)
    if done.returncode != 0:
        raise SystemExit(f"{script}: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "baseline_cpu_us_per_hit" in result:
        # CPU per hit, baseline's over the collector's: what the ratio is when the server's
        # core is its own. Under load from other work the generator starves too and the
        # measured ratio drifts towards 1; this one drifts much less.
        cpu = result["baseline_cpu_us_per_hit"] / result["cpu_us_per_hit"]
        result["cpu_ratio"] = round(cpu, 3)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkouts", type=Path, nargs="+", help="two or more (A, B, C, …)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=0, help="throughput.py --warmup (if it has it)")
    ap.add_argument("--json", action="store_true", help="print one JSON line last")
    ap.add_argument("extra", nargs="*", help="after --: more throughput.py arguments")
    args = ap.parse_args()
    named = dict(zip("ABCDEFGH", args.checkouts, strict=False))
    results: dict[str, list[dict]] = {name: [] for name in named}
    for name, checkout in named.items():
        print(f"{name} = {checkout}")
    for i in range(args.rounds):
        for name, checkout in named.items():
            r = run(checkout.resolve(), args.seconds, args.warmup, args.extra)
            results[name].append(r)
            load = os.getloadavg()[0]
            cells = "  ".join(f"{k}={r.get(k)}" for k in KEYS)
            print(f"round {i + 1} {name}: {cells}  load1={load:.2f}", flush=True)
            time.sleep(1)
    summary = {}
    for name, runs in results.items():
        summary[name] = {
            k: statistics.median(r[k] for r in runs) for k in KEYS if all(k in r for r in runs)
        }
        # Other work only adds CPU time: the least a run took is the closest to the cost.
        summary[name]["cpu_us_per_hit_min"] = min(r["cpu_us_per_hit"] for r in runs)
        cells = "  ".join(f"{k}={v}" for k, v in summary[name].items())
        print(f"median {name}: {cells}")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
