"""The one settings object: where each setting comes from, and that every setting is documented.

The documentation test follows Datasette's: the table in docs/OPERATIONS.md and
portal.settings.Settings must list the same settings, so neither can drift.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from portal import settings as ps
from portal.settings import Settings, environment_variable, get_settings, secrets_key

OPERATIONS = Path(__file__).resolve().parent.parent / "docs" / "OPERATIONS.md"


@pytest.fixture
def place(tmp_path, monkeypatch):
    """An empty working folder and home folder, no PQP_ variables, and a fresh cache."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    for name in Settings.model_fields:
        monkeypatch.delenv(environment_variable(name), raising=False)
    get_settings.cache_clear()
    yield work, home
    get_settings.cache_clear()


def write_secrets(folder: Path, text: str) -> None:
    (folder / ".streamlit").mkdir(exist_ok=True)
    (folder / ".streamlit" / "secrets.toml").write_text(text)
    get_settings.cache_clear()  # the files are otherwise looked at again only once a second


def test_with_nothing_set_every_setting_takes_its_default(place):
    s = get_settings()
    assert s.database_url is None
    assert s.encryption_keys == []
    assert s.idle_timeout_minutes == ps.DEFAULT_IDLE_MINUTES == 30
    assert s.idle_timeout_seconds is None


def test_the_environment_wins_over_secrets_toml_which_wins_over_the_default(place, monkeypatch):
    work, _ = place
    assert get_settings().idle_timeout_minutes == 30
    write_secrets(work, 'idle_timeout_minutes = 12\ndatabase_url = "sqlite:///from-secrets.db"\n')
    assert get_settings().idle_timeout_minutes == 12
    assert get_settings().database_url == "sqlite:///from-secrets.db"
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_MINUTES", "7")
    monkeypatch.setenv("PQP_DATABASE_URL", "sqlite:///from-env.db")
    assert get_settings().idle_timeout_minutes == 7  # seen without clearing the cache
    assert get_settings().database_url == "sqlite:///from-env.db"
    monkeypatch.delenv("PQP_IDLE_TIMEOUT_MINUTES")
    assert get_settings().idle_timeout_minutes == 12


def test_an_empty_environment_variable_counts_as_unset(place, monkeypatch):
    work, _ = place
    write_secrets(work, 'encryption_key = "from-secrets"\n')
    monkeypatch.setenv("PQP_ENCRYPTION_KEYS", "")
    monkeypatch.setenv("PQP_DATABASE_URL", "")
    assert get_settings().encryption_keys == ["from-secrets"]
    assert get_settings().database_url is None


def test_the_working_folder_secrets_win_over_the_home_folder(place):
    work, home = place
    write_secrets(home, 'idle_timeout_minutes = 20\nencryption_key = "home"\n')
    assert get_settings().idle_timeout_minutes == 20
    write_secrets(work, "idle_timeout_minutes = 25\n")
    assert get_settings().idle_timeout_minutes == 25
    assert get_settings().encryption_keys == ["home"]  # keys the later file leaves out still come from the earlier


def test_sections_of_secrets_toml_are_left_to_streamlit(place):
    work, _ = place
    write_secrets(work, '[auth]\nclient_id = "portal"\ndatabase_url = "not-a-portal-setting"\n')
    assert get_settings().database_url is None


def test_an_unreadable_secrets_file_is_ignored_with_a_warning(place, caplog):
    work, _ = place
    write_secrets(work, "idle_timeout_minutes = = 3\n")
    assert get_settings().idle_timeout_minutes == 30
    assert "cannot be read" in caplog.text


def test_the_test_only_seconds_cannot_be_set_in_secrets(place):
    work, _ = place
    write_secrets(work, "idle_timeout_seconds = 5\n")
    assert get_settings().idle_timeout_seconds is None
    assert secrets_key("idle_timeout_seconds") is None


def test_encryption_keys_are_comma_separated_or_a_list(place, monkeypatch):
    work, _ = place
    write_secrets(work, 'encryption_key = ["one", " two "]\n')
    assert get_settings().encryption_keys == ["one", "two"]
    monkeypatch.setenv("PQP_ENCRYPTION_KEYS", " new , old ,")
    assert get_settings().encryption_keys == ["new", "old"]


@pytest.mark.parametrize("raw", ["soon", "0", "-3", "2.5"])
def test_a_bad_idle_time_means_the_default(place, monkeypatch, raw):
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_MINUTES", raw)
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_SECONDS", raw)
    assert get_settings().idle_timeout_minutes == 30
    assert get_settings().idle_timeout_seconds is None


def test_the_layers_read_the_settings_object(place, monkeypatch):
    from db import encryption
    from db import engine as db_engine
    from qa.settings import idle_timeout

    work, _ = place
    write_secrets(work, 'database_url = "sqlite:///secrets.db"\nencryption_key = "k1,k2"\nidle_timeout_minutes = 9\n')
    monkeypatch.setattr(db_engine, "_configured_url", None)
    assert db_engine.database_url() == "sqlite:///secrets.db"
    assert encryption.configured_keys() == ["k1", "k2"]
    assert idle_timeout() == timedelta(minutes=9)
    monkeypatch.setenv("PQP_IDLE_TIMEOUT_SECONDS", "4")
    assert idle_timeout() == timedelta(seconds=4)


def test_the_variable_names_people_rely_on_are_unchanged():
    from db import encryption
    from db import engine as db_engine
    from qa.settings import IDLE_SECONDS_ENV

    assert db_engine.ENV_VAR == "PQP_DATABASE_URL"
    assert encryption.ENV_VAR == "PQP_ENCRYPTION_KEYS"
    assert IDLE_SECONDS_ENV == "PQP_IDLE_TIMEOUT_SECONDS"
    assert environment_variable("idle_timeout_minutes") == "PQP_IDLE_TIMEOUT_MINUTES"
    assert secrets_key("encryption_keys") == "encryption_key"


def test_every_setting_says_what_it_means():
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 20, name


# --- documentation ------------------------------------------------------------


def documented_settings() -> dict[str, dict[str, str]]:
    """The rows of the table under "## Settings" in docs/OPERATIONS.md, by environment variable."""
    text = OPERATIONS.read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        rows[cells["Environment variable"].strip("`")] = cells
    return rows


def test_every_setting_is_documented_in_operations():
    documented = documented_settings()
    for name in Settings.model_fields:
        assert environment_variable(name) in documented, f"{name} is missing from docs/OPERATIONS.md"


def test_every_documented_setting_is_a_real_one_with_the_right_names():
    real = {environment_variable(name): name for name in Settings.model_fields}
    for variable, row in documented_settings().items():
        assert variable in real, f"docs/OPERATIONS.md documents {variable}, which is not a setting"
        name = real[variable]
        assert row["Name"] == f"`{name}`"
        key = secrets_key(name)
        assert row["secrets.toml key"] == (f"`{key}`" if key else "—"), name
