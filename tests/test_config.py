from pathlib import Path

import pytest

from collector.config import ConfigError, Secret, Settings, documented_variables


def test_defaults_match_the_design() -> None:
    s = Settings.from_env({})
    assert s.database_url is None and s.embedded
    assert s.consent_cookies == ("collector_consent", "mtm_consent", "mtm_cookie_consent")
    assert (s.ip_mask_level, s.retention_days, s.trusted_proxies) == (2, 7, ())


def test_environment_is_read_and_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('retention_days = 3\nip_mask_level = 3\nconsent_cookies = ["a", "b"]\n')
    s = Settings.from_env({"COLLECTOR_CONFIG": str(toml), "COLLECTOR_RETENTION_DAYS": "5"})
    assert (s.retention_days, s.ip_mask_level, s.consent_cookies) == (5, 3, ("a", "b"))


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"COLLECTOR_IP_MASK_LEVEL": "4"}, "COLLECTOR_IP_MASK_LEVEL"),
        ({"COLLECTOR_RETENTION_DAYS": "soon"}, "COLLECTOR_RETENTION_DAYS"),
        ({"COLLECTOR_TRUSTED_PROXIES": "10.0.0.0/33"}, "COLLECTOR_TRUSTED_PROXIES"),
        ({"COLLECTOR_CONSENT_COOKIES": " , "}, "COLLECTOR_CONSENT_COOKIES"),
        ({"COLLECTOR_DURABILITY": "always"}, "COLLECTOR_DURABILITY"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_durability_is_batch_unless_fsync_is_asked_for() -> None:
    assert Settings.from_env({}).durability == "batch"
    assert Settings.from_env({"COLLECTOR_DURABILITY": " FSYNC "}).durability == "fsync"


def test_secrets_do_not_show_in_repr() -> None:
    s = Settings.from_env(
        {"COLLECTOR_API_TOKEN": "hunter2", "COLLECTOR_DATABASE_URL": "postgres://u:pw@h/db"}
    )
    assert "hunter2" not in repr(s) and "pw@" not in repr(s)
    assert isinstance(s.api_token, Secret) and s.api_token == "hunter2"


def test_every_setting_is_a_row_of_the_readme_configuration_table() -> None:
    # A row, not a mention: rows after a paragraph render as raw text, outside the table.
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    table = section[section.index("| variable |") :].split("\n\n", 1)[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert sorted(rows) == sorted(f"`{var}`" for var, _ in documented_variables())
