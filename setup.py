"""Optional: the hit path compiled to C with mypyc. pyproject.toml holds everything else.

    COLLECTOR_COMPILE=1 pip install --no-build-isolation .   # needs mypy, gcc, Python headers
    scripts/compile                                          # the same, in place, in a checkout

Without COLLECTOR_COMPILE=1 the package is pure Python. The compiled modules are the same
sources, unchanged: mypyc turns their type hints into C types and runtime checks. README,
"Compiled hit path", has what it gains and how it is tested.
"""

from __future__ import annotations

import os

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


def ext_modules() -> list:
    if os.environ.get("COLLECTOR_COMPILE") != "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        raise SystemExit(
            "COLLECTOR_COMPILE=1 needs mypy where the package is built: pip install 'mypy>=1.10',"
            " then pip install --no-build-isolation ."
        ) from None
    return mypycify(HOT_PATH, opt_level="3", group_name="collector_hot_path")


setup(ext_modules=ext_modules())
