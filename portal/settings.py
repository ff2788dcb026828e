"""The portal's settings, read in one place.

Each setting is looked for in an environment variable (``PQP_…``), then in
Streamlit's secrets file, then takes its default. docs/OPERATIONS.md lists them
all, and tests/test_settings.py keeps that list and this class in step.

The secrets file is read here as plain TOML, from where Streamlit looks by
default (``~/.streamlit/secrets.toml``, then ``.streamlit/secrets.toml`` in the
folder the portal starts in, the later winning), so that ``db/`` and the command
line see the same settings as the web portal without importing Streamlit.

Single sign-on is not here: its ``[auth]`` section belongs to Streamlit, whose
``st.login`` reads it itself, so app.py asks ``st.secrets`` whether it is there.
Stored flags that administrators change on screen are rows in the database
(``qa/settings.py``), not settings.

Nothing here imports ``db/``, ``qa/`` or ``pages/``: every layer reads settings
from here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "PQP_"
DEFAULT_IDLE_MINUTES = 30
DEFAULT_ATTEMPTS_PER_ADDRESS = 30
DEFAULT_SMTP_PORT = 587
DEFAULT_SMTP_TIMEOUT_SECONDS = 20
DEFAULT_BASE_URL = "http://localhost:8501"
DEFAULT_DIGEST_TIME = "07:30"
DEFAULT_NOTIFICATION_RETENTION_DAYS = 180
SmtpSecurity = Literal["starttls", "tls", "none"]
_FILES_RECHECK_SECONDS = 1.0

_log = logging.getLogger("pqp.settings")


def positive_whole_number(raw: object) -> int | None:
    """``raw`` as a whole number above zero, or None. Settings have always fallen
    back to their default on a value like "soon" or 0 rather than refusing to start."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def clock_time(raw: object) -> str | None:
    """``raw`` as a 24-hour "HH:MM" time of day, or None if it is not one."""
    if not isinstance(raw, str):
        return None
    hours, sep, minutes = raw.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    h, m = int(hours), int(minutes)
    return f"{h:02d}:{m:02d}" if 0 <= h < 24 and 0 <= m < 60 else None


class Settings(BaseSettings):
    """Everything the portal reads from its surroundings. Build it with :func:`get_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # An exported but empty variable means "not set", as it always has.
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    database_url: str | None = Field(
        default=None,
        description=(
            "The database the portal uses, as a SQLAlchemy URL such as "
            "postgresql://user:password@host:5432/dbname. When it is not set, the portal uses the embedded "
            "SQLite file data/portal.db."
        ),
    )
    encryption_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "The keys that encrypt private text (journal notes, debriefs, supervision notes), comma-separated: "
            "the first encrypts and all of them decrypt. When none is set, the embedded SQLite default makes one "
            "in data/encryption.key; any other database must have one."
        ),
        json_schema_extra={"secrets_key": "encryption_key"},
    )
    idle_timeout_minutes: int = Field(
        default=DEFAULT_IDLE_MINUTES,
        description=(
            "Minutes without activity before someone is signed out. A value that is not a whole number above "
            "zero means the default."
        ),
    )
    idle_timeout_seconds: int | None = Field(
        default=None,
        description=(
            "For tests and demonstrations only: the idle time in seconds, which then wins over the minutes. "
            "Leave it unset in real use."
        ),
        # A test knob, so it is kept out of the secrets file that operators edit.
        json_schema_extra={"secrets_key": None},
    )
    # --- sessions, metrics and the proxy in front (issue 15)
    sign_in_attempts_per_address: int = Field(
        default=DEFAULT_ATTEMPTS_PER_ADDRESS,
        description=(
            "Failed password sign-ins allowed from one network address in 15 minutes before that address must "
            "wait, on top of the lockout of each account after 5 failures."
        ),
    )
    sso_identity_claim: str = Field(
        default="email",
        description=(
            "The claim of the single-sign-on identity matched to a portal user's email address: email, or "
            "preferred_username (or upn) for Microsoft Entra tenants whose users have no mailbox."
        ),
    )
    metrics_token: str | None = Field(
        default=None,
        description=(
            "A secret that lets a monitoring system read /metrics from any address, sent as "
            "'Authorization: Bearer <token>'. Without it, only the metrics_addresses may read them."
        ),
    )
    metrics_addresses: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses allowed to read /metrics without the token, comma-separated.",
    )

    # --- email (issue 14): the sender, python -m portal send-notifications, reads these.
    smtp_host: str | None = Field(
        default=None,
        description=(
            "The mail server that sends notification emails. When it is not set, nothing is emailed: "
            "notifications wait in the outbox and still appear in the portal."
        ),
    )
    smtp_port: int = Field(
        default=DEFAULT_SMTP_PORT,
        description="The mail server's port: usually 587 for STARTTLS, 465 for TLS, 25 for none.",
    )
    smtp_security: SmtpSecurity = Field(
        default="starttls",
        description=(
            "How the connection to the mail server is protected: starttls (upgrade a plain connection), "
            "tls (TLS from the start) or none (only for a server on the same machine)."
        ),
    )
    smtp_user: str | None = Field(default=None, description="The user name for the mail server, if it asks for one.")
    smtp_password: str | None = Field(
        default=None,
        description="The password for the mail server. Keep it in secrets.toml or the environment, never in code.",
    )
    smtp_sender: str | None = Field(
        default=None,
        description="The address notification emails come from, such as portal@probation.example. Email is sent only when it is set.",
    )
    smtp_timeout_seconds: int = Field(
        default=DEFAULT_SMTP_TIMEOUT_SECONDS,
        description="Seconds to wait for the mail server before giving up on this attempt (the message is tried again later).",
    )
    portal_base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description=(
            "The portal's address as people open it, such as https://quality.probation.example. Links in emails "
            "start with it."
        ),
    )
    notification_digest_time: str = Field(
        default=DEFAULT_DIGEST_TIME,
        description=(
            "The time of day (UK time, 24-hour HH:MM) when the daily digest is emailed to people who chose it. "
            "A value that is not a time means the default."
        ),
    )
    email_fuller_content: bool = Field(
        default=False,
        description=(
            "Off by default: emails say only what kind of item is waiting, with a link. Turn it on only for "
            "an organisation's secure email: emails then add the case reference and who the item concerns. "
            "Private text is never emailed."
        ),
    )
    notification_retention_days: int = Field(
        default=DEFAULT_NOTIFICATION_RETENTION_DAYS,
        description=(
            "Days a notification is kept in a person's inbox once they have read it; unread ones are kept. "
            "python -m portal send-notifications deletes older read ones. A value that is not a whole number "
            "above zero means the default."
        ),
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("encryption_keys", "metrics_addresses", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> list[str]:
        if value is None:
            return []
        parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]
        return [part.strip() for part in parts if part.strip()]

    @field_validator("smtp_host", "smtp_user", "smtp_password", "smtp_sender", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_port", mode="before")
    @classmethod
    def _port_or_default(cls, value: object) -> int:
        return positive_whole_number(value) or DEFAULT_SMTP_PORT

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _security_or_default(cls, value: object) -> object:
        # Like every setting, an unknown value means the default, which is the safe choice.
        choice = value.strip().lower() if isinstance(value, str) else value
        return choice if choice in ("starttls", "tls", "none") else "starttls"

    @field_validator("smtp_timeout_seconds", mode="before")
    @classmethod
    def _timeout_or_default(cls, value: object) -> int:
        return positive_whole_number(value) or DEFAULT_SMTP_TIMEOUT_SECONDS

    @field_validator("portal_base_url", mode="before")
    @classmethod
    def _base_url_without_trailing_slash(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_BASE_URL
        return value.strip().rstrip("/") if isinstance(value, str) else value

    @field_validator("notification_digest_time", mode="before")
    @classmethod
    def _time_or_default(cls, value: object) -> str:
        return clock_time(value) or DEFAULT_DIGEST_TIME

    @field_validator("notification_retention_days", mode="before")
    @classmethod
    def _retention_or_default(cls, value: object) -> int:
        return positive_whole_number(value) or DEFAULT_NOTIFICATION_RETENTION_DAYS

    @field_validator("idle_timeout_minutes", mode="before")
    @classmethod
    def _minutes_or_default(cls, value: object) -> int:
        return positive_whole_number(value) or DEFAULT_IDLE_MINUTES

    @field_validator("sign_in_attempts_per_address", mode="before")
    @classmethod
    def _attempts_or_default(cls, value: object) -> int:
        return positive_whole_number(value) or DEFAULT_ATTEMPTS_PER_ADDRESS

    @field_validator("sso_identity_claim", mode="before")
    @classmethod
    def _claim_or_email(cls, value: object) -> str:
        return value.strip() if isinstance(value, str) and value.strip() else "email"

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("idle_timeout_seconds", mode="before")
    @classmethod
    def _seconds_or_unset(cls, value: object) -> int | None:
        return positive_whole_number(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: values passed in (tests), the environment, then secrets.toml.
        return init_settings, env_settings, SecretsTomlSource(settings_cls)


def environment_variable(name: str) -> str:
    """The environment variable that sets the field ``name``."""
    if name not in Settings.model_fields:
        raise KeyError(name)
    return f"{ENV_PREFIX}{name}".upper()


def secrets_key(name: str) -> str | None:
    """The top-level key in secrets.toml that sets the field ``name``, or None if the file cannot set it."""
    extra = Settings.model_fields[name].json_schema_extra
    if isinstance(extra, dict) and "secrets_key" in extra:
        key = extra["secrets_key"]
        return key if isinstance(key, str) else None
    return name


def secrets_files() -> list[Path]:
    """Where Streamlit looks for secrets by default, in the order it reads them; a later file wins."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


_ENV_NAMES = tuple(environment_variable(name) for name in Settings.model_fields)


class SecretsTomlSource(PydanticBaseSettingsSource):
    """Top-level keys of Streamlit's secrets files, read as TOML."""

    def __init__(self, settings_cls: type[BaseSettings], files: list[Path] | None = None) -> None:
        super().__init__(settings_cls)
        self._secrets: dict[str, Any] = {}
        for path in files if files is not None else secrets_files():
            self._secrets.update(_read_toml(path))

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        key = secrets_key(field_name)
        return (self._secrets.get(key) if key else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(field, name)
            if value is not None:
                found[name] = value
        return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # The portal has always started without an unreadable secrets file rather than
        # refusing to; say so, because its settings are then the defaults.
        _log.warning("Ignoring the secrets file %s, which cannot be read: %s", path, exc)
        return {}


def _secrets_identity() -> tuple[object, ...]:
    """Each secrets file's path, modification time and size, so that an edit is noticed."""
    files: list[object] = []
    for folder in (os.path.expanduser("~"), os.getcwd()):
        path = os.path.join(folder, ".streamlit", "secrets.toml")
        try:
            stat = os.stat(path)
        except OSError:
            files.append(path)
        else:
            files.append((path, stat.st_mtime_ns, stat.st_size))
    return tuple(files)


class _SettingsCache:
    """:func:`get_settings`: one Settings object, read again only when what it came from changes.

    Encryption asks for its keys for every value it reads, so the settings are not
    parsed each time. But tests and the benchmark scripts change environment
    variables while running, so those are compared on every call (a few
    microseconds); the secrets files are looked at again at most once a second,
    or at once if the working folder changes. ``cache_clear()`` forgets everything.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[tuple[object, ...], Settings] | None = None
        self._files: tuple[tuple[str, str], float, tuple[object, ...]] | None = None

    def __call__(self) -> Settings:
        fingerprint = (tuple(os.environ.get(name) for name in _ENV_NAMES), self._files_identity())
        cached = self._cached
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        with self._lock:
            settings = Settings()
            self._cached = (fingerprint, settings)
        return settings

    def _files_identity(self) -> tuple[object, ...]:
        where = (os.environ.get("HOME", ""), os.getcwd())
        now = time.monotonic()
        seen = self._files
        if seen is not None and seen[0] == where and now - seen[1] < _FILES_RECHECK_SECONDS:
            return seen[2]
        identity = _secrets_identity()
        self._files = (where, now, identity)
        return identity

    def cache_clear(self) -> None:
        with self._lock:
            self._cached = None
            self._files = None


get_settings = _SettingsCache()
