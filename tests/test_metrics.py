"""GET /metrics: every counter from the start, and the README's table names what it prints."""

from __future__ import annotations

import re
from pathlib import Path

from collector.metrics import COUNTERS, Metrics
from tests.support import Running

ROOT = Path(__file__).parent.parent


def readme_metrics() -> set[str]:
    """The names in the README's metrics table (`| \\`collector_x{reason}\\` | type | … |`)."""
    section = (ROOT / "README.md").read_text().split("## Health, readiness, metrics", 1)[1]
    section = section.split("\n## ", 1)[0]
    return set(
        re.findall(r"^\| `(collector_\w+)(?:\{\w+\})?` \| (?:counter|gauge) \|", section, re.M)
    )


async def test_the_readme_names_exactly_what_metrics_prints(server: Running) -> None:
    status, headers, body = await server.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    printed = set(re.findall(r"^# TYPE (collector_\w+) (?:counter|gauge)$", body.decode(), re.M))
    assert {"collector_hits_stored", "collector_consent_receipts"} <= printed
    assert readme_metrics() == printed


def test_a_counter_shows_zero_before_it_counts_and_a_labelled_one_no_sample() -> None:
    metrics = Metrics()
    text = metrics.render()
    assert "collector_hits_stored 0\n" in text
    assert (
        "# TYPE collector_hits_dropped counter\n" in text and "collector_hits_dropped{" not in text
    )
    metrics.count("hits_dropped", "bot", 2)
    metrics.count("bots_dropped", "ai")
    assert 'collector_hits_dropped{reason="bot"} 2\n' in metrics.render()
    assert 'collector_bots_dropped{kind="ai"} 1\n' in metrics.render()


def test_every_counter_the_code_counts_is_declared() -> None:
    # A counter only created on its first count() would be missing from /metrics (and the
    # README) until then.
    used = {
        name
        for path in (ROOT / "collector").rglob("*.py")
        for name in re.findall(r'\.count\(\s*"(\w+)"', path.read_text())
    }
    assert used == set(COUNTERS)
