"""A wheel must carry everything `collector serve` reads at run time, and build without warnings."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
import types
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _setup_py() -> types.ModuleType:
    """setup.py as a module (its setup() runs only as __main__, as setuptools runs it)."""
    spec = importlib.util.spec_from_file_location("collector_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(out: Path, **env: str) -> tuple[str, set[str]]:
    """pip wheel of a copy of the checkout (the build's files stay out of it): the build's
    output and the names in the wheel."""
    source = out / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".*", "build", "__pycache__", "*.so", "node_modules"),
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    [wheel] = out.glob("collector-*.whl")
    return built.stdout + built.stderr, set(zipfile.ZipFile(wheel).namelist())


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
    output, names = _wheel(tmp_path, COLLECTOR_COMPILE="0")  # what is in it, not compiled
    assert "Warning" not in output, output
    for sql in (ROOT / "sql").rglob("*.sql"):
        assert f"collector/sql/{sql.relative_to(ROOT / 'sql')}" in names
    for static in (ROOT / "collector" / "static").iterdir():
        assert f"collector/static/{static.name}" in names
    assert "collector/tracking/referrer_hosts.json" in names  # read at run time (referrers.py)


def test_wheels_compile_by_default_editable_installs_and_metadata_do_not() -> None:
    mode = _setup_py().compile_mode
    assert mode(["setup.py", "bdist_wheel"], {}) == "try"  # pip wheel, pip install .
    assert mode(["setup.py", "build_ext", "--inplace"], {"COLLECTOR_COMPILE": "1"}) == "compile"
    assert mode(["setup.py", "bdist_wheel"], {"COLLECTOR_COMPILE": "0"}) == "pure"
    assert mode(["setup.py", "editable_wheel"], {}) == "pure"  # pip install -e
    assert mode(["setup.py", "egg_info"], {}) == "pure"
    assert mode(["setup.py", "dist_info"], {"COLLECTOR_COMPILE": "1"}) == "pure"


@pytest.mark.timeout(600)
def test_a_wheel_built_without_a_c_compiler_is_pure_python(tmp_path: Path) -> None:
    _, names = _wheel(tmp_path, CC="/nonexistent/cc")  # mypyc runs, gcc cannot
    assert not [n for n in names if n.endswith(".so")]
    assert "collector/tracking/params.py" in names
