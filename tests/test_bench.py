"""The benchmarks run (briefly) and report what the README quotes; no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent.parent / "bench"


def _run(script: str, *args: str, database_url: str) -> dict:
    env = {**os.environ, "COLLECTOR_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_throughput_benchmark_reports_its_keys_and_loses_nothing(database_url: str) -> None:
    result = _run(
        "throughput.py",
        "--seconds",
        "1",
        "--requests",
        "300",
        "--connections",
        "4",
        database_url=database_url,
    )
    for key in (
        "collector_rps",
        "baseline_rps",
        "ratio",
        "p99_ms",
        "cpu_us_per_hit",
        "peak_rss_mb",
        "lost",
    ):
        assert key in result
    assert result["answered_2xx"] > 0
    assert result["lost"] == 0
    assert result["stored"] >= result["answered_2xx"]


def test_throughput_benchmark_reports_fsync_durability_next_to_the_default(
    database_url: str,
) -> None:
    result = _run(
        "throughput.py",
        "--seconds",
        "1",
        "--requests",
        "300",
        "--connections",
        "4",
        "--durability",
        "both",
        database_url=database_url,
    )
    assert result["durability"] == "batch" and result["lost"] == 0
    for key in ("fsync_rps", "fsync_p50_ms", "fsync_p99_ms", "fsync_cpu_us_per_hit"):
        assert key in result
    assert result["fsync_answered_2xx"] > 0 and result["fsync_lost"] == 0


def test_throughput_benchmark_runs_with_its_asyncio_load_generator(database_url: str) -> None:
    result = _run(
        "throughput.py",
        "--seconds",
        "1",
        "--requests",
        "300",
        "--connections",
        "4",
        "--generator",
        "asyncio",
        database_url=database_url,
    )
    assert result["generator"] == "asyncio"
    assert result["answered_2xx"] > 0
    assert result["lost"] == 0


def test_ingest_benchmark_stores_both_copies(database_url: str) -> None:
    result = _run("ingest.py", "--rows", "2000", "--rounds", "2", database_url=database_url)
    assert result["stored"] == 2 * 2 * 2000
    assert result["ratio"] > 0


def test_agents_benchmark_reports_what_the_readme_quotes(database_url: str) -> None:
    result = _run("agents.py", "--agents", "300", database_url=database_url)
    for key in (
        "baseline_ua_parser_us",
        "bots_uncached_us",
        "agent_uncached_us",
        "devices_uncached_us",
        "agent_cached_us",
    ):
        assert result[key] > 0
    assert result["agents"] == 300


def test_usage_benchmark_imports_every_line_and_tcp_loses_nothing(database_url: str) -> None:
    # `collector serve` with the syslog listener as a process: uvloop's transports, too.
    result = _run(
        "usage.py", "--lines", "3000", "--seconds", "1", "--rate", "1000",
        database_url=database_url,
    )  # fmt: skip
    assert result["stored"] == 3000 and result["import_lines_per_s"] > 0
    for key in ("read_floor_lines_per_s", "copy_rows_per_s", "import_vs_copy"):
        assert result[key] > 0
    tcp, udp = result["syslog"]["tcp"], result["syslog"]["udp"]
    assert tcp["sent"] == 1000 and tcp["lost"] == 0 and tcp["stored"] == 1000
    assert udp["sent"] == 1000 and udp["stored"] + udp["lost"] == 1000


def test_profile_summary_buckets_samples_by_their_innermost_known_frame(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from profile_summary import summarise

    frames = [
        {"name": "run", "file": "/x/collector/server.py"},
        {"name": "_handle_request", "file": "/x/aiohttp/web_protocol.py"},
        {"name": "track", "file": "/x/collector/tracking/endpoint.py"},
        {"name": "dumps", "file": "<orjson>"},
        {"name": "_copy", "file": "/x/collector/storage/writer.py"},
    ]
    samples = [[0, 1, 2], [0, 1, 2, 3], [0, 4, 3], [0, 1]]
    doc = {
        "shared": {"frames": frames},
        "profiles": [{"samples": samples, "weights": [1, 1, 1, 1]}],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    text = summarise(path)
    assert " 50.0%  hit path" in text  # orjson under track counts as the hit path's
    assert " 25.0%  writer" in text
    assert " 25.0%  aiohttp protocol" in text


def test_profile_summary_gives_the_request_in_units_of_process_hit(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from profile_summary import summarise

    frames = [
        {"name": "_answer", "file": "/x/collector/tracking/pixel_protocol.py"},
        {"name": "process_hit", "file": "/x/collector/tracking/pipeline.py"},
        {"name": "_send", "file": "/x/collector/tracking/pixel_protocol.py"},
    ]
    samples = [[0, 1], [0, 1], [0], [0, 2], [0, 2]]  # 2 of 5 inside process_hit
    doc = {"shared": {"frames": frames}, "profiles": [{"samples": samples}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    text = summarise(path)
    assert "2.50 units: all samples over those inside process_hit" in text
    assert " 40.0%  socket writes" in text  # the send has its own frame, _send
