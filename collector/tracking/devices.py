"""Device type of a visit: desktop, mobile or tablet (bots are bots.py's).

In this order, the first that knows:

1. for Android, the brand and model lists of Matomo's DeviceDetector (`device_detector`,
   LGPL-3.0, the same package as the bot lists): about 2,000 brands, each with its models,
   many marked tablet or phablet. They tell Android tablets whose agent says "Mobile"
   (Galaxy Tabs, Fire tablets, MediaPads), and phones whose app agent does not. A browser's
   agent is reduced to its model first, cached per model. A client hint naming the model
   (matomo.js's `uadata` carries it) is looked up the same way: Chrome's reduced agent says
   only "Android 10; K". Chromebooks and Android laptops are desktops before any of this.
2. client hints, when sent: `Sec-CH-UA-Mobile: ?1` (or `uadata`'s `"mobile": true`) is a
   phone; `?0` with `Sec-CH-UA-Platform: "Android"` a tablet; a desktop platform (Windows,
   macOS, Linux, Chrome OS) a desktop.
3. the agent's own words: iPad, Kindle, "Tablet" are tablets; "Mobi", iPhone, and the
   feature phones' MIDP, CLDC, NetFront, KaiOS, Series 40 mobile; Android without "Mobile"
   a tablet (Android's convention), except Chromebooks and other Android laptops; the rest
   desktop.

Pure; enrich.py caches the answer per agent and hints. The model is used for the type and
never stored.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from collector.tracking.bots import DD_BOUNDED, package_dir
from collector.tracking.patterns import PatternSet, split_lookbehinds

# DeviceDetector's types -> ours; a type not listed (tv, console, car browser, camera, ...)
# leaves the decision to the hints and the agent's words.
_TYPES = {
    "smartphone": "mobile",
    "phablet": "mobile",
    "feature phone": "mobile",
    "tablet": "tablet",
    "desktop": "desktop",
}
_DESKTOP_PLATFORMS = frozenset({"windows", "macos", "linux", "chrome os", "chromium os"})
MAX_MODEL = 64  # a client hint, not free text


@dataclass(frozen=True, slots=True)
class Hints:
    """User-agent client hints: the Sec-CH-UA-* headers, or matomo.js's `uadata`."""

    mobile: bool | None = None
    platform: str | None = None  # lowercased, unquoted: "android", "windows", ...
    model: str | None = None


NO_HINTS = Hints()


def header_hints(mobile: str | None, platform: str | None, model: str | None = None) -> Hints:
    """From the headers' structured-field syntax: `?1`, `"Android"`."""
    return Hints(
        mobile={"?1": True, "?0": False}.get(mobile.strip()) if mobile else None,
        platform=_unquoted(platform),
        model=_unquoted(model, lower=False),
    )


MAX_UADATA = 4096  # matomo.js sends a few hundred bytes


@functools.lru_cache(maxsize=1024)  # Chrome sends the same two headers with every hit
def request_hints(
    mobile: str | None, platform: str | None, uadata: str | None, *, own_agent: bool
) -> Hints:
    """The hints of one request: matomo.js's `uadata` first (it carries the model), then the
    headers; the headers only when the agent is the request's own (`own_agent`): with `ua=`
    a server forwards its visitor's agent, and its own headers are not the visitor's."""
    from_uadata = _uadata_hints(uadata) if uadata and len(uadata) <= MAX_UADATA else NO_HINTS
    if not own_agent or (mobile is None and platform is None):
        return from_uadata
    headers = header_hints(mobile, platform)
    if from_uadata is NO_HINTS:
        return headers
    return Hints(
        mobile=from_uadata.mobile if from_uadata.mobile is not None else headers.mobile,
        platform=from_uadata.platform or headers.platform,
        model=from_uadata.model,
    )


def _uadata_hints(raw: str) -> Hints:
    try:
        return uadata_hints(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return NO_HINTS  # optional enrichment: a broken one is ignored, as Matomo does


def uadata_hints(uadata: Any) -> Hints:
    """From matomo.js's `uadata` (navigator.userAgentData's high-entropy values, as JSON
    already decoded); anything not of the expected type is ignored."""
    if not isinstance(uadata, dict):
        return NO_HINTS
    mobile = uadata.get("mobile")
    platform = uadata.get("platform")
    model = uadata.get("model")
    return Hints(
        mobile=mobile if isinstance(mobile, bool) else None,
        platform=_unquoted(platform) if isinstance(platform, str) else None,
        model=_unquoted(model, lower=False) if isinstance(model, str) else None,
    )


def _unquoted(value: str | None, lower: bool = True) -> str | None:
    if not value:
        return None
    text = value.strip().strip('"').strip()[:MAX_MODEL]
    if not text or not text.isprintable():
        return None
    return text.lower() if lower else text


# --- DeviceDetector's brands and models ----------------------------------------------------

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class _Brand:
    device: str  # DeviceDetector's type, '' when the brand leaves it to its models
    models: tuple[tuple[str, str], ...]  # (pattern, type or '')


class _DeviceList:
    """Brands behind one prefilter; a brand's models compiled on its first match (most of
    the 2,000 brands are never seen by one site)."""

    def __init__(self, regexes: list[str], brands: list[_Brand]) -> None:
        self._brands = brands
        self._patterns = PatternSet(
            (_bounded(pattern), re.IGNORECASE, index) for index, pattern in enumerate(regexes)
        )

    @classmethod
    def load(cls) -> _DeviceList:
        root = package_dir("device_detector") / "regexes" / "upstream" / "device"
        regexes: list[str] = []
        brands: list[_Brand] = []
        for name in ("notebooks.yml", "mobiles.yml"):  # DeviceDetector's order
            text = (root / name).read_text(encoding="utf-8")
            for entry in yaml.load(text, Loader=_Loader).values():  # noqa: S506 (safe loader)
                regexes.append(entry["regex"])
                models = tuple(
                    (_bounded(m["regex"]), m.get("device") or "") for m in entry.get("models", ())
                )
                brands.append(_Brand(entry.get("device") or "", models))
        return cls(regexes, brands)

    def type(self, text: str) -> str | None:
        """DeviceDetector's type for an agent (or a model name), or None."""
        index = self._patterns.first(text)
        if index is None:
            return None
        brand = self._brands[index]
        model_type = self._models(index).first(text) if brand.models else None
        return model_type or brand.device or None

    @functools.cache  # noqa: B019 (one list per process: at most one entry per brand)
    def _models(self, index: int) -> PatternSet[str]:
        return PatternSet((p, re.IGNORECASE, t) for p, t in self._brands[index].models)


def _bounded(pattern: str) -> str:
    return DD_BOUNDED.format(split_lookbehinds(pattern))


@functools.cache
def device_list() -> _DeviceList:
    """Compiled on first use (two to three seconds; app start warms it)."""
    return _DeviceList.load()


# --- the agent's own words -----------------------------------------------------------------

# Checked before _MOBILE: iPads and Kindles also say "Mobile". "Tablet PC" is an old
# Windows desktop token.
_TABLET = re.compile(r"iPad|Tablet(?! PC)|Kindle|Silk/|PlayBook|; KF[A-Z]{2,4}[ ;)]")
_MOBILE = re.compile(
    r"Mobi|iPhone|iPod|Opera Mini|BlackBerry|Windows Phone|MIDP|CLDC|NetFront|KaiOS|"
    r"Series ?[46]0|Symbian|UP\.Browser|Obigo|MAUI|WAP"
)
# Chromebooks and Android laptops: DeviceDetector calls them desktops
_ANDROID_DESKTOP = re.compile(r"Chromebook|CrOS|Pixelbook|EliteBook|ThinkPad|Aspire V")


# A browser's Android agent: "(Linux; [U; ]Android 14; [en-us; ]SM-T290 Build/...)". The
# lists are then asked about this part only, which is short and repeats across browsers
# and versions: cached per model.
_ANDROID_MODEL = re.compile(
    r"\(Linux; (?:U; )?Android ([0-9.]{1,10})(?:; [a-z]{2}[-_][a-zA-Z]{2})?; ([^;)]{1,64}?)"
    r"(?: Build/[^;)]*)?(?:; wv)?\)"
)


def device_type(user_agent: str, hints: Hints = NO_HINTS) -> str:
    """desktop, mobile or tablet."""
    if _ANDROID_DESKTOP.search(user_agent):  # before the lists: a brand's phones share its name
        return "desktop"
    known = _listed_type(user_agent, hints.model)
    if (ours := _TYPES.get(known or "")) is not None:
        return ours
    if hints.mobile:
        return "mobile"
    if hints.platform in _DESKTOP_PLATFORMS:
        return "desktop"
    if hints.platform == "android" and hints.mobile is False:
        return "tablet"
    return _from_words(user_agent)


def _listed_type(user_agent: str, model: str | None) -> str | None:
    if model:  # a client hint names it (Chrome's reduced agent says "Android 10; K")
        return _model_type("", model)
    if "Android" not in user_agent:
        return None
    if found := _ANDROID_MODEL.search(user_agent):
        version, model = found.groups()
        return _model_type(version, model) if model != "K" else None
    return device_list().type(user_agent)  # an app's agent: "Dalvik/2.1.0 (Linux; U; ...)"


@functools.lru_cache(maxsize=8192)
def _model_type(version: str, model: str) -> str | None:
    # the shape the lists' patterns expect around a model: "Android 8.1; MODEL Build"
    return device_list().type(f"(Linux; Android {version or '10'}; {model} Build/)")


def _from_words(user_agent: str) -> str:
    if _TABLET.search(user_agent):
        return "tablet"
    mobile = _MOBILE.search(user_agent) is not None
    if "Android" in user_agent and not mobile:
        return "tablet"
    return "mobile" if mobile else "desktop"
