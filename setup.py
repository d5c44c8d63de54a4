"""The hit path compiled to C with mypyc, by default. pyproject.toml holds everything else.

    pip install .                       # a wheel: compiled where a C compiler and Python's
                                        # headers are, else pure Python (said on stderr)
    COLLECTOR_COMPILE=0 pip install .   # pure Python
    COLLECTOR_COMPILE=1 pip install .   # compiled, or the build fails
    scripts/compile                     # in place, in a checkout

An editable install (`pip install -e`, scripts/venv.sh) stays pure Python: sources in a
checkout are edited, and a compiled module would shadow its source (collector/__init__.py
refuses a stale one); scripts/compile builds them there on purpose. The compiled modules are
the same sources, unchanged: mypyc turns their type hints into C types and runtime checks.
README, "Compiled hit path", has what it gains and how it is tested.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from setuptools import setup

# The modules every tracking request runs through (profiled: README, "Benchmarks"), and the
# three every line of a web-server access log runs through (collector/usage/: the import's
# parse and reduce, README "Web-server usage data").
HOT_PATH = [
    "collector/metrics.py",
    "collector/tracking/anonymise.py",
    "collector/tracking/consent.py",
    "collector/tracking/cors.py",
    "collector/tracking/ecommerce.py",
    "collector/tracking/endpoint.py",
    "collector/tracking/enrich.py",
    "collector/tracking/goals.py",
    "collector/tracking/hit.py",
    "collector/tracking/params.py",
    "collector/tracking/pipeline.py",
    "collector/tracking/session.py",
    "collector/usage/formats.py",
    "collector/usage/intake.py",
    "collector/usage/request.py",
]


# setup.py commands that build extension modules; the others (egg_info, dist_info,
# editable_wheel, sdist) only read metadata or copy sources.
_BUILDS = frozenset({"bdist_wheel", "build_ext", "build", "install"})


def compile_mode(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """ "pure", "compile" (or fail) or "try" (compile; pure Python where it cannot)."""
    flag = env.get("COLLECTOR_COMPILE", "")
    if flag == "0" or not _BUILDS & set(argv):
        return "pure"
    if flag == "1":
        return "compile"
    return "try"


def ext_modules(argv: Sequence[str] = sys.argv, env: Mapping[str, str] = os.environ) -> list:
    mode = compile_mode(argv, env)
    if mode == "pure":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        if mode == "compile":
            raise SystemExit(
                "COLLECTOR_COMPILE=1 needs mypy where the package is built: pip install"
                " 'mypy>=1.10', then pip install --no-build-isolation ."
            ) from None
        print("collector: no mypy where the package is built: pure Python", file=sys.stderr)
        return []
    modules = mypycify(HOT_PATH, opt_level="3", group_name="collector_hot_path")
    if mode == "try":
        for module in modules:
            # No C compiler or no Python headers: setuptools skips the module with a line on
            # stderr and the build goes on; the package is pure Python, as before.
            module.optional = True
    return modules


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import it
    setup(ext_modules=ext_modules())
