"""The privacy notice says what the configuration says, in both languages and formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import ConfigError, Settings
from collector.privacy.notice import privacy_notice


def notice(lang: str = "en", fmt: str = "md", **env: str) -> str:
    return privacy_notice(Settings.from_env(env), lang, fmt)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_notice_changes_when_the_configuration_changes(lang: str, fmt: str) -> None:
    default = notice(lang, fmt)
    changed = notice(
        lang,
        fmt,
        COLLECTOR_IP_MASK_LEVEL="3",
        COLLECTOR_RETENTION_DAYS="14",
        COLLECTOR_RECEIPT_RETENTION_DAYS="180",
        COLLECTOR_CONSENT_COOKIES="collector_consent,cms_consent",
        COLLECTOR_PRIVACY_SIGNALS="",
        COLLECTOR_COOKIE_DOMAIN="city.example",
        COLLECTOR_POLICY_VERSION="2026-11",
    )
    for text in ("203.0.0.0", " 48 ", " 7 ", " 395 ", "mtm_consent", "Do Not Track"):
        assert text in default
    for text in ("203.0.0.0", " 24 ", " 14 ", " 180 ", "cms_consent", "city.example", "2026-11"):
        assert text in changed, text
    # mtm_consent stays: /optin sets it for Matomo's tracker, whatever else counts
    assert "mtm_cookie_consent" not in changed and "city.example" not in default
    assert "(Sec-GPC)" in default and "(Sec-GPC)" not in changed


def test_ip_level_one_keeps_three_bytes_and_a_64_bit_prefix() -> None:
    text = notice(COLLECTOR_IP_MASK_LEVEL="1")
    assert "`203.0.113.0`" in text and "first 64 bits" in text and "the last byte" in text


def test_each_cookie_is_listed_with_its_lifetime() -> None:
    text = notice("de")
    rows = {
        line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")
    }
    assert set(rows) == {
        "`collector_session`",
        "`collector_consent`",
        "`collector_optout`",
        "`mtm_consent`, `mtm_consent_removed`",
        "`mtm_cookie_consent`",
    }
    assert "Schließen des Browsers" in rows["`collector_session`"]
    assert "1 Jahr" in rows["`collector_consent`"] and "1 Jahr" in rows["`collector_optout`"]


def test_html_notice_escapes_and_has_no_external_references() -> None:
    html = notice(fmt="html", COLLECTOR_CONSENT_COOKIES="<b>x</b>")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "http" not in html and "src=" not in html


def test_new_settings_have_defaults_and_name_their_variable_when_bad() -> None:
    s = Settings.from_env({})
    assert (s.cookie_domain, s.policy_version, s.receipt_retention_days) == (None, "1", 395)
    assert Settings.from_env({"COLLECTOR_COOKIE_DOMAIN": ".City.Example"}).cookie_domain == (
        "city.example"
    )
    for env, name in [
        ({"COLLECTOR_RECEIPT_RETENTION_DAYS": "0"}, "COLLECTOR_RECEIPT_RETENTION_DAYS"),
        ({"COLLECTOR_POLICY_VERSION": " "}, "COLLECTOR_POLICY_VERSION"),
        ({"COLLECTOR_COOKIE_DOMAIN": "not a domain"}, "COLLECTOR_COOKIE_DOMAIN"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env(env)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_rights_section_points_visitors_at_the_erase_button_not_only_an_http_verb(
    lang: str,
) -> None:
    assert "`/optout`" in notice(lang).split("/privacy/me", 1)[1]


@pytest.mark.parametrize(
    ("lang", "bound"),
    [("en", "longer than 7 days and one hour"), ("de", "länger als 7 Tage und eine Stunde")],
)
def test_the_notice_states_the_exact_retention_bound(lang: str, bound: str) -> None:
    assert bound in notice(lang)
    assert bound.replace("7", "10") in notice(lang, COLLECTOR_RETENTION_DAYS="10")


SEED = Path(__file__).with_name("seed_nutzungsdaten.txt")  # the seed policy's paragraph


def _usage_part(text: str) -> str:
    return text.split("## Nutzungsdaten", 1)[1].split("\n## ", 1)[0]


def test_with_the_defaults_the_usage_section_says_what_the_seed_paragraph_says() -> None:
    seed = SEED.read_text().splitlines()
    assert seed[0] == "Nutzungsdaten"
    part = _usage_part(notice("de"))
    generated = [line[2:] for line in part.splitlines() if line.startswith("- ")]
    seed_items = [line[2:].rstrip(",.") for line in seed if line.startswith("- ")]
    assert len(seed_items) == 9 and len(generated) == len(seed_items)
    for item, ours in zip(seed_items, generated, strict=True):
        words, _, aside = item.partition(" (")
        assert ours.startswith(words), (item, ours)
        assert aside.rstrip(")") in ours, (item, ours)  # "(Inhalt übertragen, …)" too
    for sentence in (
        seed[1].split(", um die Qualität")[0],  # "Wenn Sie unsere Webseiten besuchen, …"
        "nur zu Sicherheits-, Statistik- und Administrationszwecken ausgewertet, nicht an "
        "Dritte weitergegeben und automatisch nach 7 Tagen gelöscht",
        "Rechtsgrundlage der Verarbeitung der Nutzungsdaten ist Art. 6 Abs. 1 S. 1 lit. f DSGVO",
        "in dem berechtigten Interesse, die Inhalte der Webseite bereitzustellen",
    ):
        assert sentence in part.replace("\n", " "), sentence
    assert "ohne Abfrageparameter" in part and "aus `203.0.113.57` wird `203.0.0.0`" in part


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_usage_section_follows_the_configuration(lang: str) -> None:
    default = notice(lang)
    changed = notice(
        lang,
        COLLECTOR_USAGE_RETENTION_DAYS="3",
        COLLECTOR_USAGE_QUERY_STRINGS="true",
        COLLECTOR_USAGE_AGGREGATES="false",
        COLLECTOR_IP_MASK_LEVEL="1",
    )
    with_query = "with query parameters" if lang == "en" else "mit Abfrageparametern"
    nothing = "Nothing of them remains" if lang == "en" else "Danach bleibt nichts davon"
    days = "after 3 days" if lang == "en" else "nach 3 Tagen"
    for text in (with_query, nothing, days, "`203.0.113.0`"):
        assert text in changed and text not in default, text
    assert ("after 7 days" if lang == "en" else "nach 7 Tagen") in default
