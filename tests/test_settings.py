"""Settings from the environment and the --config file, validated by the pydantic-settings model."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ENVIRONMENT, ConfigError, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENVIRONMENT.values():
        monkeypatch.delenv(var, raising=False)


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bot.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_zero_in_the_file_turns_the_flood_limit_off(tmp_path: Path) -> None:
    # It used to become 20: "0 or 20" is 20.
    assert Settings.load(None, config(tmp_path, "flood_limit: 0\n")).flood_limit == 0


def test_a_misspelt_key_is_refused_with_the_closest_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'flood_limt' \(did you mean flood_limit\?\)"):
        Settings.load(None, config(tmp_path, "flood_limt: 5\n"))


def test_the_environment_wins_over_the_file_and_db_wins_over_both(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = config(tmp_path, "flood_limit: 5\nadmins: [1, 2]\ndb: from-file.json\nrate_limiter: false\n"
                            "admin_write_rate: 5\n")
    monkeypatch.setenv("FLOOD_LIMIT", "0")
    monkeypatch.setenv("ADMIN_WRITE_RATE", "0")
    monkeypatch.setenv("BOT_ADMINS", "7, 8")
    monkeypatch.setenv("INCIDENT_BOT_DB", "from-env.json")
    s = Settings.load(None, path)
    assert (s.flood_limit, s.admins, s.db, s.rate_limiter) == (0, frozenset({"7", "8"}), Path("from-env.json"), False)
    assert s.admin_write_rate == 0
    assert Settings.load("from-flag.json", path).db == Path("from-flag.json")


def test_file_values_and_defaults(tmp_path: Path) -> None:
    s = Settings.load(None, config(tmp_path, "admins: 42\ntoken: abc\n"))
    assert (s.admins, s.token, s.flood_limit, s.flood_window, s.rate_limiter, s.admin_write_rate) == \
        (frozenset({"42"}), "abc", 20, 10.0, True, 20.0)


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOOD_LIMIT", "")
    assert Settings.load(None).flood_limit == 20


@pytest.mark.parametrize("text, where", [
    ("flood_limit: lots\n", "flood_limit in"), ("flood_limit: -1\n", "flood_limit in"),
    ("rate_limiter: maybe\n", "rate_limiter in"), ("admin_write_rate: -1\n", "admin_write_rate in"),
    ("[1, 2]\n", "must be a mapping"), ("a: [\n", "not valid YAML"),
])
def test_bad_values_are_one_line_naming_the_setting(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError, match=where) as e:
        Settings.load(None, config(tmp_path, text))
    assert "\n" not in str(e.value)


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOOD_WINDOW", "soon")
    with pytest.raises(ConfigError, match=r"\$FLOOD_WINDOW"):
        Settings.load(None)


def test_building_settings_directly_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ADMINS", "1")
    assert Settings(token="t").admins == frozenset()
