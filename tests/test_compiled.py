"""The optional compiled hit path (setup.py, scripts/compile): CI runs the whole suite once on
pure Python and once compiled; here, that the run is what it claims, and the stale guard."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import collector
from collector import hit_path_compiled, stale_compiled

ROOT = Path(__file__).resolve().parent.parent
EXPECT = os.environ.get("COLLECTOR_EXPECT_COMPILED")


def _hot_path_modules() -> list[str]:
    """setup.py's HOT_PATH, read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    paths = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "HOT_PATH"
    )
    return [p.removesuffix(".py").replace("/", ".") for p in paths]


@pytest.mark.skipif(EXPECT is None, reason="COLLECTOR_EXPECT_COMPILED unset (set by .ci/run)")
def test_the_suite_runs_on_the_build_it_claims() -> None:
    modules = _hot_path_modules()
    assert "collector.tracking.endpoint" in modules
    compiled = {m for m in modules if not importlib.import_module(m).__file__.endswith(".py")}
    assert compiled == (set(modules) if EXPECT == "1" else set())
    assert hit_path_compiled() is (EXPECT == "1")


def _checkout(tmp_path: Path, source_newer: bool) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    source = package / "sub" / "mod.py"
    compiled = package / "sub" / "mod.cpython-311-x86_64-linux-gnu.so"
    source.write_text("x = 1\n")
    compiled.write_bytes(b"\x7fELF")
    old, new = 1_700_000_000, 1_700_000_100
    os.utime(source, (new, new) if source_newer else (old, old))
    os.utime(compiled, (old, old) if source_newer else (new, new))
    return package


def test_a_compiled_module_older_than_its_source_is_found(tmp_path: Path) -> None:
    package = _checkout(tmp_path, source_newer=True)
    assert stale_compiled(package) == [package / "sub" / "mod.cpython-311-x86_64-linux-gnu.so"]


def test_a_fresh_compiled_module_or_an_installed_package_is_fine(tmp_path: Path) -> None:
    assert stale_compiled(_checkout(tmp_path / "a", source_newer=False)) == []
    installed = _checkout(tmp_path / "b", source_newer=True)
    (installed.parent / ".git").rmdir()
    assert stale_compiled(installed) == []


def test_a_stale_compiled_module_stops_the_import(tmp_path: Path) -> None:
    """The real package, copied with one compiled-looking module older than its source."""
    import shutil

    shutil.copytree(Path(collector.__file__).parent, tmp_path / "collector")
    (tmp_path / ".git").mkdir()
    fake = tmp_path / "collector" / "tracking" / "params.cpython-311-x86_64-linux-gnu.so"
    fake.write_bytes(b"")
    os.utime(fake, (1_700_000_000, 1_700_000_000))
    result = subprocess.run(
        [sys.executable, "-c", "import collector"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "older than its source: run scripts/compile" in result.stderr
