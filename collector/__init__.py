"""collector: a consent-gated, privacy-first web analytics collector (Matomo tracking API)."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"
_PACKAGE = Path(__file__).parent


def hit_path_compiled() -> bool:
    """Whether the hit path runs as mypyc-compiled C (setup.py, scripts/compile)."""
    from collector.tracking import params

    return not params.__file__.endswith(".py")


def stale_compiled(package: Path = _PACKAGE) -> list[Path]:
    """Compiled modules older than their source, in a checkout. scripts/compile builds them
    beside the sources, where they shadow them: a stale one runs code that is gone."""
    if not (package.parent / ".git").exists():
        return []  # installed: sources and compiled modules were built together
    return [
        compiled
        for compiled in package.rglob("*.so")
        if (source := compiled.with_name(compiled.name.split(".", 1)[0] + ".py")).exists()
        and source.stat().st_mtime > compiled.stat().st_mtime
    ]


if stale := stale_compiled():
    raise ImportError(
        f"{stale[0].relative_to(_PACKAGE.parent)} is older than its source: run "
        "scripts/compile again, or scripts/compile --clean for pure Python"
    )
