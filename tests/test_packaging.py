"""A wheel must carry everything `collector serve` reads at run time, and build without warnings."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _folders(top: Path, package: str) -> set[str]:
    """`package` and one dotted name per folder below `top` that holds a file to install."""
    names = {package}
    for path in top.rglob("*"):
        if path.is_dir() and "__pycache__" not in path.parts and any(path.iterdir()):
            names.add(".".join([package, *path.relative_to(top).parts]))
    return names


def test_package_list_names_every_folder_under_collector_and_sql() -> None:
    # setuptools installs a data folder (static/, sql/reports/) as a package whether listed
    # or not, and warns about each one left out (BuildBackendWarning): list them all.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    expected = _folders(ROOT / "collector", "collector") | _folders(ROOT / "sql", "collector.sql")
    assert set(config["packages"]) == expected


def test_wheel_builds_without_warnings_and_carries_sql_static_and_data(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    output = built.stdout + built.stderr
    assert "Warning" not in output, output
    [wheel] = tmp_path.glob("collector-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for sql in (ROOT / "sql").rglob("*.sql"):
        assert f"collector/sql/{sql.relative_to(ROOT / 'sql')}" in names
    for static in (ROOT / "collector" / "static").iterdir():
        assert f"collector/static/{static.name}" in names
    assert "collector/tracking/referrer_hosts.json" in names  # read at run time (referrers.py)
