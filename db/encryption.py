"""Encryption at rest for private text (journal notes, debriefs), with Fernet.

Columns typed :class:`EncryptedText` are encrypted on the way into the
database and decrypted on the way out, so a dump or backup never holds the
text. Keys come from, in order:

1. the ``encryption_keys`` setting (``portal.settings``: the
   ``PQP_ENCRYPTION_KEYS`` environment variable, or ``encryption_key`` in
   secrets.toml);
2. for the embedded SQLite default only, ``data/encryption.key``, generated
   on first use with owner-only permissions.

Several keys may be given, comma-separated: the first encrypts, all of them
decrypt. That is what makes rotation safe (see :func:`rotate`).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import TypeDecorator

from db.engine import DEFAULT_SQLITE_PATH, database_url, default_url
from portal.settings import environment_variable, get_settings

ENV_VAR = environment_variable("encryption_keys")
KEY_FILE = DEFAULT_SQLITE_PATH.parent / "encryption.key"

_cache: dict[tuple[str, ...], MultiFernet] = {}


class MissingKey(RuntimeError):
    pass


def _split(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


def _key_file_keys() -> list[str]:
    if KEY_FILE.exists():
        return _split(KEY_FILE.read_text())
    if database_url() != default_url():
        raise MissingKey(
            "No encryption key is configured. Set PQP_ENCRYPTION_KEYS (or encryption_key in "
            ".streamlit/secrets.toml) before using a database other than the embedded default."
        )
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # Created owner-only from the start, never world-readable even briefly.
    fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return [key]


def configured_keys() -> list[str]:
    """The keys set in the environment or secrets.toml; empty when only the key file could supply them."""
    return get_settings().encryption_keys


def current_keys() -> list[str]:
    return configured_keys() or _key_file_keys()


def cipher() -> MultiFernet:
    keys = tuple(current_keys())
    found = _cache.get(keys)
    if found is None:
        found = _cache[keys] = MultiFernet([Fernet(k.encode()) for k in keys])
    return found


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise MissingKey(
            "Some private text cannot be read with the configured encryption keys. "
            "If the key was rotated, keep the old key after the new one until rotation has finished."
        ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token; plain str in Python."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def encrypted_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, sa.Column]]:
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


def rotate(engine: sa.Engine, metadata: sa.MetaData, new: str) -> int:
    """Re-encrypt every private value with ``new``, in one transaction. Returns how many.

    Tokens are rotated as tokens (Fernet's own MultiFernet.rotate), so the
    plain text is never held longer than one value at a time.
    """
    rotating = MultiFernet([Fernet(new.encode())] + [Fernet(k.encode()) for k in current_keys()])
    count = 0
    with engine.begin() as conn:
        for table, column in encrypted_columns(metadata):
            keys = list(table.primary_key.columns)
            raw = sa.sql.column(column.name, sa.Text)  # read the stored token, not the decrypted text
            rows = conn.execute(sa.select(*keys, raw).select_from(table).where(raw.is_not(None))).all()
            for row in rows:
                token = rotating.rotate(row[-1].encode("ascii")).decode("ascii")
                where = sa.and_(*(k == row[i] for i, k in enumerate(keys)))
                conn.execute(sa.update(table).where(where).values({column.name: sa.literal(token, sa.Text)}))
                count += 1
    return count


def save_key_file(keys: list[str]) -> None:
    tmp = KEY_FILE.with_suffix(".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(",".join(keys) + "\n")
    os.replace(tmp, KEY_FILE)


def keys_from_file() -> bool:
    return not configured_keys() and KEY_FILE.exists()
