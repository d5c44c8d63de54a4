"""Device types (tracking/devices.py): DeviceDetector's model lists, client hints, and the
agent's own words; the cases issue #17 named."""

from __future__ import annotations

import orjson
import pytest

from collector.tracking.devices import NO_HINTS, Hints, device_type, header_hints, request_hints
from tests.support import CONSENT, Running

REDUCED_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        # Android tablets whose agent says "Mobile"
        (
            "Mozilla/5.0 (Linux; Android 11; SM-T290) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; KFMAWI Build/PS7327.3329N; wv) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.197 Mobile Safari/537.36",
            "tablet",
        ),
        # an Android phone app's agent without "Mobile" is still a phone
        ("Samsung GT-I9505 stagefright/1.2 (Linux;Android 4.4.2)", "mobile"),
        # feature phones
        (
            "BenQ-CF61/1.00/WAP2.0/MIDP2.0/CLDC1.0 UP.Browser/6.3.0.4.c.1.102 (GUI) MMP/2.0",
            "mobile",
        ),
        ("Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1", "mobile"),
        (
            "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) "
            "Gecko/48.0 Firefox/48.0 KAIOS/2.5",
            "mobile",
        ),
        ("SomePhone/1.0 NetFront/3.5", "mobile"),
        # Chromebooks and Android laptops are desktops
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
            "desktop",
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; Dell Chromebook 11 (3180)) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/76.0.3809.132 Safari/537.36",
            "desktop",
        ),
        # the usual
        (
            "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
            "desktop",
        ),
    ],
)
def test_device_types_issue_17_named(user_agent: str, device: str) -> None:
    assert device_type(user_agent) == device


def test_the_mobile_client_hint_decides_where_the_lists_do_not_know_the_model() -> None:
    desktop_looking = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari"
    assert device_type(desktop_looking, header_hints("?1", '"Android"')) == "mobile"
    assert device_type(REDUCED_ANDROID, header_hints("?0", '"Android"')) == "tablet"
    assert device_type(REDUCED_ANDROID, header_hints("?0", '"Chrome OS"')) == "desktop"
    assert device_type(REDUCED_ANDROID, NO_HINTS) == "mobile"  # its own words


def test_the_model_matomo_js_sends_in_uadata_is_looked_up_for_a_reduced_agent() -> None:
    uadata = orjson.dumps({"mobile": False, "model": "SM-X200", "platform": "Android"}).decode()
    hints = request_hints("?1", '"Android"', uadata, own_agent=True)
    assert hints == Hints(mobile=False, platform="android", model="SM-X200")
    assert device_type(REDUCED_ANDROID, hints) == "tablet"  # a Galaxy Tab A8


def test_a_forwarded_agent_takes_no_hints_from_the_servers_own_headers() -> None:
    assert request_hints("?1", '"Android"', None, own_agent=False) == NO_HINTS


@pytest.mark.parametrize(
    "uadata", ["{not json", "[1, 2]", '{"mobile": "yes", "model": 7}', "x" * 5000]
)
def test_broken_or_odd_uadata_is_ignored(uadata: str) -> None:
    assert request_hints(None, None, uadata, own_agent=True) == NO_HINTS


def test_header_hints_read_structured_field_values() -> None:
    assert header_hints("?1", '"Windows"') == Hints(mobile=True, platform="windows")
    assert header_hints("?x", '"\x00"') == NO_HINTS


async def test_client_hints_sent_with_a_hit_set_its_device(server: Running) -> None:
    headers = {
        "User-Agent": REDUCED_ANDROID,
        "Sec-CH-UA-Mobile": "?0",
        "Sec-CH-UA-Platform": '"Android"',
    }
    page = f"https://{server.domain}/"
    await server.get(
        "/matomo.php", server.hit_params(url=page + "a"), cookies=CONSENT, headers=headers
    )
    uadata = orjson.dumps({"mobile": False, "platform": "Android", "model": "SM-X200"}).decode()
    await server.get(
        "/matomo.php",
        server.hit_params(url=page + "b", uadata=uadata),
        cookies=CONSENT,
        headers={"User-Agent": REDUCED_ANDROID},
    )
    await server.get(
        "/matomo.php",
        server.hit_params(url=page + "c"),
        cookies=CONSENT,
        headers={"User-Agent": REDUCED_ANDROID},
    )
    await server.flush()
    rows = await server.rows("SELECT device FROM hits WHERE site_id = $1 ORDER BY url")
    assert [r["device"] for r in rows] == ["tablet", "tablet", "mobile"]
    dump = " ".join(str(dict(r)) for r in await server.rows())
    assert "SM-X200" not in dump  # the model decides the type and is not kept
