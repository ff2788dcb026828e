"""Backing up and restoring the portal's database: ``python -m portal backup | restore``.

Two formats:

- **SQLite file** (the default for SQLite): a copy made with SQLite's online
  backup API while the portal keeps running. In WAL mode the copy reads one
  consistent snapshot and never blocks the portal's writers. The copy is a
  normal, self-contained SQLite database file.
- **Portable** (the default for PostgreSQL, ``--portable`` for SQLite): a ZIP
  holding ``manifest.json`` (format, schema revision, tables, row counts) and
  one JSON-lines file per table, read inside one repeatable-read transaction
  so the tables agree with each other. Restoring it works into SQLite or
  PostgreSQL, so it can also move a portal from one to the other.

Restoring refuses a database that already holds data (unless ``force``), and a
backup from a schema revision this code does not know. A portable restore goes
into a database at exactly the backup's revision: a new, empty database is
first migrated to that revision, then loaded in one transaction (all or
nothing), then PostgreSQL's id sequences are moved past the restored ids, and
the schema is brought up to date.

Private text (``EncryptedText`` columns) is copied as its stored Fernet
tokens, never decrypted: a backup holds no readable private text, and is
useless for it without the encryption key, which is never put in a backup.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import math
import os
import sqlite3
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.schema import sort_tables_and_constraints

from db import engine as db_engine
from db import migrate

FORMAT = "pqp-portable-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Tables that a freshly migrated database already has rows in (0002 seeds the
#: default learning themes). Rows anywhere else mean the database is in use.
SEEDED_BY_MIGRATIONS = frozenset({"learning_theme"})
BATCH = 1000


class BackupError(RuntimeError):
    """Backing up or restoring was refused or failed; the message says why, plainly."""


@dataclass
class Report:
    path: Path
    kind: str  # "SQLite file" or "portable"
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# ============================================================== backing up


def backup(
    path: str | os.PathLike, url: str | None = None, portable: bool | None = None, overwrite: bool = False
) -> Report:
    """Back up the database at ``url`` (default: the configured one) to ``path``.

    SQLite gets a SQLite file unless ``portable``; PostgreSQL always gets the
    portable ZIP (or use ``pg_dump``, see the README).
    """
    url = url or db_engine.database_url()
    target = Path(path)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists. Choose a new file name, or pass --force to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    sqlite = db_engine.is_sqlite(url)
    if sqlite and not _sqlite_has_schema(_sqlite_path(url)):
        raise BackupError(f"There is no portal database at {_sqlite_path(url)} to back up.")
    partial = target.with_name(target.name + ".partial")
    try:
        if sqlite and not portable:
            report = _sqlite_file_backup(_sqlite_path(url), partial)
        else:
            report = _portable_backup(url, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    report.path = target
    return report


def _sqlite_path(url: str) -> str:
    path = make_url(db_engine._normalise(url)).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return path


def _sqlite_has_schema(path: str) -> bool:
    if not Path(path).exists():
        return False
    with _closing(sqlite3.connect(path, timeout=db_engine.SQLITE_BUSY_TIMEOUT_SECONDS)) as conn:
        return (
            conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
            is not None
        )


def _private_file(path: Path) -> None:
    """Backups hold personal data: only the owner may read them."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)


def _sqlite_file_backup(source: str, dest: Path) -> Report:
    _private_file(dest)
    src = sqlite3.connect(source, timeout=30)
    try:
        with _closing(sqlite3.connect(dest)) as out:
            # One step (pages=-1): one read snapshot, so the copy is consistent.
            # In WAL mode that read does not hold up the portal's writers.
            src.backup(out, pages=-1)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            check = out.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The copy failed SQLite's integrity check: {check}")
            rows = _sqlite_counts(out)
            revision = _sqlite_revision(out)
    finally:
        src.close()
    return Report(dest, "SQLite file", revision, rows)


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version' ORDER BY name"
        )
    ]
    return {n: conn.execute(f"SELECT COUNT(*) FROM {_q(n)}").fetchone()[0] for n in names}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _closing:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


# --- the portable format -------------------------------------------------------


def _encode(value):
    """A JSON value for one database value. Plain JSON types pass through;
    everything else is tagged, so decoding gives back exactly the same type."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, dt.datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$": "interval", "v": value.total_seconds()}
    if isinstance(value, decimal.Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {"$": "uuid", "v": str(value)}
    if isinstance(value, dict | list):
        return {"$": "json", "v": value}
    raise BackupError(f"Cannot back up a value of type {type(value).__name__}.")


# Each takes the JSON value the encoder wrote, so its argument is whatever json.loads gave.
_DECODERS: dict[str, Callable[[Any], object]] = {
    "float": float,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "interval": lambda v: dt.timedelta(seconds=v),
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
    "uuid": uuid.UUID,
    "json": lambda v: v,
}


def _decode(value):
    if isinstance(value, dict):
        return _DECODERS[value["$"]](value["v"])
    return value


def _reflect(conn: sa.Connection) -> list[sa.Table]:
    """Every portal table in the database, parents before children."""
    metadata = sa.MetaData()
    metadata.reflect(conn)
    tables = [t for t in metadata.tables.values() if t.name != "alembic_version"]
    return [t for t, _fks in sort_tables_and_constraints(tables) if t is not None]


def _order_by(table: sa.Table) -> str:
    keys = list(table.primary_key.columns) or list(table.columns)
    return ", ".join(_q(c.name) for c in keys)


def _portable_backup(url: str, dest: Path) -> Report:
    engine = db_engine.get_engine(url)
    tables: list[dict[str, object]] = []
    manifest: dict[str, object] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": engine.dialect.name,
        "alembic_revision": None,
        "encrypted_values": "Columns of type EncryptedText hold Fernet tokens exactly as stored; "
        "reading them needs the portal's encryption key, which is not in this file.",
        "tables": tables,
    }
    rows: dict[str, int] = {}
    _private_file(dest)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive, _snapshot(engine) as (conn, raw):
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        manifest["alembic_revision"] = revision
        for table in _reflect(conn):
            columns = [c.name for c in table.columns]
            select = f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table.name)} ORDER BY {_order_by(table)}"
            digest = hashlib.sha256()
            count = 0
            name = f"tables/{table.name}.jsonl"
            with archive.open(name, "w") as handle:
                for row in raw(select):
                    line = (
                        json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":")) + "\n"
                    ).encode("utf-8")
                    digest.update(line)
                    handle.write(line)
                    count += 1
            tables.append(
                {"name": table.name, "file": name, "columns": columns, "rows": count, "sha256": digest.hexdigest()}
            )
            rows[table.name] = count
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return Report(dest, "portable", revision, rows)


class _snapshot:
    """One read-only view of the whole database, yielding (SQLAlchemy connection, raw row reader).

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction, rows streamed with a
    server-side cursor. SQLite: one read transaction on a plain connection
    (SQLAlchemy's SQLite driver would read each table in its own transaction).
    """

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.sqlite: sqlite3.Connection | None = None

    def __enter__(self) -> tuple[sa.Connection, Callable[[str], Iterator[tuple]]]:
        if self.engine.dialect.name == "sqlite":
            sqlite = self.sqlite = sqlite3.connect(_sqlite_path(str(self.engine.url)), timeout=30, isolation_level=None)
            sqlite.execute("BEGIN")
            self.conn = self.engine.connect()

            def read_sqlite(sql: str) -> Iterator[tuple]:
                yield from sqlite.execute(sql)

            return self.conn, read_sqlite
        self.sqlite = None
        self.conn = self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        self.tx = self.conn.begin()
        self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")

        def read_streamed(sql: str) -> Iterator[tuple]:
            result = self.conn.execution_options(stream_results=True, yield_per=BATCH).exec_driver_sql(sql)
            for row in result:
                yield tuple(row)

        return self.conn, read_streamed

    def __exit__(self, *exc):
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        else:
            self.tx.rollback()
        self.conn.close()


# ============================================================== restoring


def restore(path: str | os.PathLike, url: str | None = None, force: bool = False) -> Report:
    """Restore ``path`` (either format) into the database at ``url``.

    Refuses a database that holds data unless ``force``, in which case its
    data is replaced. Either everything is restored or nothing changes.
    """
    url = url or db_engine.database_url()
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    with open(source, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        if db_engine.is_sqlite(url):
            report = _restore_sqlite_file(source, url, force)
        else:
            file_source = _SqliteFileSource(source)
            try:
                report = _load(file_source, url, force)
            finally:
                file_source.close()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            report = _load(_ZipSource(archive), url, force)
    else:
        raise BackupError(f"{source} is not a portal backup (neither a SQLite file nor a portable ZIP).")
    report.path = source
    report.warnings += _key_warnings(url)
    return report


def _known_revision(revision: str | None) -> None:
    from alembic.script import ScriptDirectory

    if revision is None:
        raise BackupError("The backup has no schema revision, so it was not made from a portal database.")
    try:
        ScriptDirectory.from_config(migrate.alembic_config()).get_revision(revision)
    except Exception:
        raise BackupError(
            f"The backup is at schema revision {revision}, which this version of the portal does not know. "
            "It was probably made by a newer version: restore it with that version."
        ) from None


def _rows_in_use(conn: sa.Connection) -> list[str]:
    """Tables holding data beyond what the migrations put in."""
    names = [n for n in sa.inspect(conn).get_table_names() if n != "alembic_version" and n not in SEEDED_BY_MIGRATIONS]
    return [n for n in names if conn.exec_driver_sql(f"SELECT 1 FROM {_q(n)} LIMIT 1").first() is not None]


def _refuse_if_in_use(url: str, force: bool) -> None:
    if force:
        return
    with db_engine.get_engine(url).connect() as conn:
        in_use = _rows_in_use(conn)
    if in_use:
        raise BackupError(
            "The database you are restoring into already holds data (for example in "
            + ", ".join(sorted(in_use)[:3])
            + "). Restore into a new, empty database, or pass --force to replace everything in it."
        )


def _restore_sqlite_file(source: Path, url: str, force: bool) -> Report:
    with _closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        check = src.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The backup file is damaged (SQLite integrity check: {check}). Nothing was restored.")
        revision = _sqlite_revision(src)
        _known_revision(revision)
        rows = _sqlite_counts(src)
        target = _sqlite_path(url)
        if _sqlite_has_schema(target):
            _refuse_if_in_use(url, force)
        db_engine.get_engine(url).dispose()
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with _closing(sqlite3.connect(target, timeout=30)) as dst:
            # The online backup API in reverse: the target is replaced in one
            # step, under its write lock, so other connections see the old
            # database or the restored one, never a mixture.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
    migrate.upgrade(url)
    return Report(source, "SQLite file", revision, rows)


# --- loading rows (portable ZIP, or a SQLite file into PostgreSQL) -------------------


class _ZipSource:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        try:
            self.manifest = json.loads(archive.read("manifest.json"))
        except (KeyError, ValueError):
            raise BackupError("The ZIP file has no readable manifest.json, so it is not a portal backup.") from None
        if self.manifest.get("format") != FORMAT:
            raise BackupError("The ZIP file is not a portal backup.")
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"The backup uses format version {self.manifest.get('format_version')}, which this version of the portal cannot read."
            )
        self.kind = "portable"
        self.revision = self.manifest["alembic_revision"]
        self.tables = {t["name"]: t for t in self.manifest["tables"]}

    def columns(self, table: str) -> list[str]:
        return self.tables[table]["columns"]

    def verify(self) -> None:
        for entry in self.tables.values():
            digest, count = hashlib.sha256(), 0
            with self.archive.open(entry["file"]) as handle:
                for line in handle:
                    digest.update(line)
                    count += 1
            if count != entry["rows"] or digest.hexdigest() != entry["sha256"]:
                raise BackupError(f"The backup's {entry['name']} table is damaged or incomplete. Nothing was restored.")

    def rows(self, table: str) -> Iterator[list]:
        with self.archive.open(self.tables[table]["file"]) as handle:
            for line in io.TextIOWrapper(handle, encoding="utf-8"):
                yield [_decode(v) for v in json.loads(line)]


class _SqliteFileSource:
    """A SQLite backup file read row by row, to restore it into PostgreSQL."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.kind = "SQLite file"
        self.revision = _sqlite_revision(self.conn)
        reader = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with reader.connect() as conn:
                self._tables = {t.name: t for t in _reflect(conn)}
        finally:
            reader.dispose()
        self.tables = {name: {"rows": n} for name, n in _sqlite_counts(self.conn).items()}

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> list[str]:
        return [c.name for c in self._tables[table].columns]

    def verify(self) -> None:
        check = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The backup file is damaged (SQLite integrity check: {check}). Nothing was restored.")

    def rows(self, table: str) -> Iterator[list]:
        columns = ", ".join(_q(c) for c in self.columns(table))
        yield from (
            list(r)
            for r in self.conn.execute(f"SELECT {columns} FROM {_q(table)} ORDER BY {_order_by(self._tables[table])}")
        )


def _load(source, url: str, force: bool) -> Report:
    _known_revision(source.revision)
    source.verify()
    engine = db_engine.get_engine(url)
    with engine.connect() as conn:
        current = (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if sa.inspect(conn).has_table("alembic_version")
            else None
        )
    if current is None:
        migrate.upgrade(url, source.revision)  # a new, empty database: prepare it at the backup's revision
        current = source.revision
    if current != source.revision:
        raise BackupError(
            f"The backup was made at schema revision {source.revision}, but the database you are restoring into "
            f"is at revision {current}. Restore into a new, empty database: the restore prepares it at the "
            "backup's revision, then brings it up to date."
        )
    _refuse_if_in_use(url, force)
    rows: dict[str, int] = {}
    with engine.begin() as conn:
        tables = _reflect(conn)
        expected = set(source.tables)
        present = {t.name for t in tables}
        if expected != present:
            raise BackupError(
                "The backup's tables do not match the database's ("
                + ", ".join(sorted(expected ^ present))
                + "), although the revisions agree. Nothing was restored."
            )
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # checked at commit instead
        for table in reversed(tables):
            conn.execute(table.delete())
        deferred = _cyclic_columns(tables) if conn.dialect.name != "sqlite" else {}
        for table in tables:
            rows[table.name] = _insert(conn, table, source, deferred.get(table.name, set()))
        for table in tables:
            if deferred.get(table.name):
                _fill_deferred(conn, table, source, deferred[table.name])
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, tables)
    migrate.upgrade(url)
    return Report(Path(), source.kind, source.revision, rows)


def _cyclic_columns(tables: list[sa.Table]) -> dict[str, set[str]]:
    """Foreign-key columns that cannot be satisfied row by row in table order
    (a table pointing at itself, like a user's supervisor, or a cycle): they are
    inserted empty, then filled in once every row exists."""
    out: dict[str, set[str]] = {}
    leftovers = [fkc for t, fkcs in sort_tables_and_constraints(tables) if t is None for fkc in fkcs]
    for table in tables:
        for fkc in table.foreign_key_constraints:
            if fkc.referred_table is table or fkc in leftovers:
                out.setdefault(table.name, set()).update(c.name for c in fkc.columns)
    return out


def _target_value(value, column: sa.Column, dialect: str):
    """Make a decoded value fit the target column, across SQLite and PostgreSQL."""
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = None
    if dialect == "sqlite":
        # SQLite stores what SQLAlchemy's SQLite types would have written.
        if isinstance(value, dt.datetime):
            if value.utcoffset() is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.time):
            return value.strftime("%H:%M:%S.%f")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, decimal.Decimal):
            return str(value) if kind is str else float(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        if isinstance(value, uuid.UUID):
            return str(value)
        return value
    # PostgreSQL: turn SQLite's stored forms into the column's Python type.
    if kind is dt.datetime and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if (
        kind is dt.datetime
        and isinstance(value, dt.datetime)
        and value.utcoffset() is None
        and getattr(column.type, "timezone", False)
    ):
        return value.replace(tzinfo=dt.UTC)  # the portal stores UTC
    if kind is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind is dt.time and isinstance(value, str):
        return dt.time.fromisoformat(value)
    if kind is bool and isinstance(value, int):
        return bool(value)
    if kind is decimal.Decimal and isinstance(value, int | float | str):
        return decimal.Decimal(str(value))
    if kind in (dict, list) and isinstance(value, str):
        return json.loads(value)
    return value


def _batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn: sa.Connection, table: sa.Table, source, deferred: set[str]) -> int:
    names = source.columns(table.name)
    missing = set(names) ^ {c.name for c in table.columns}
    if missing:
        raise BackupError(
            f"The backup's {table.name} table has different columns ({', '.join(sorted(missing))}). Nothing was restored."
        )
    dialect = conn.dialect.name
    columns = [table.columns[n] for n in names]
    if dialect == "sqlite":
        # Untyped columns: values go in exactly as stored, with no conversion.
        target = sa.table(table.name, *[sa.column(n) for n in names])
    else:
        target = table
    count = 0
    for batch in _batches(source.rows(table.name)):
        conn.execute(
            target.insert(),
            [
                {
                    n: (None if n in deferred else _target_value(v, c, dialect))
                    for n, v, c in zip(names, row, columns, strict=True)
                }
                for row in batch
            ],
        )
        count += len(batch)
    return count


def _fill_deferred(conn: sa.Connection, table: sa.Table, source, deferred: set[str]) -> None:
    names = source.columns(table.name)
    keys = [c.name for c in table.primary_key.columns]
    if not keys:
        raise BackupError(f"Cannot restore {table.name}: it refers to itself and has no primary key.")
    dialect = conn.dialect.name
    stmt = (
        sa.update(table)
        .where(sa.and_(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys)))
        .values({d: sa.bindparam(f"v_{d}") for d in deferred})
    )
    for batch in _batches(source.rows(table.name)):
        params = []
        for row in batch:
            values = dict(zip(names, row, strict=True))
            if all(values[d] is None for d in deferred):
                continue
            params.append(
                {f"k_{k}": _target_value(values[k], table.c[k], dialect) for k in keys}
                | {f"v_{d}": _target_value(values[d], table.c[d], dialect) for d in deferred}
            )
        if params:
            conn.execute(stmt, params)


def _reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Move each id sequence past the restored ids, so new rows get new ids."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": _q(table.name), "c": column.name}
            ).scalar()
            if sequence:
                conn.execute(
                    sa.text(
                        f"SELECT setval(:s, COALESCE(MAX({_q(column.name)}), 1), MAX({_q(column.name)}) IS NOT NULL) FROM {_q(table.name)}"
                    ),
                    {"s": sequence},
                )


# ============================================================== the key


def _key_warnings(url: str) -> list[str]:
    """Whether the configured key can read the restored private text."""
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet
    from sqlmodel import SQLModel

    import db.schema  # noqa: F401  (every table, so every encrypted column is known)
    from db import encryption

    with db_engine.get_engine(url).connect() as conn:
        tokens = [
            token
            for table, column in encryption.encrypted_columns(SQLModel.metadata)
            if (
                token := conn.execute(
                    sa.select(sa.column(column.name, sa.Text))
                    .select_from(sa.table(table.name))
                    .where(sa.column(column.name).is_not(None))
                    .limit(1)
                ).scalar()
            )
            is not None
        ]
    if not tokens:
        return []
    previous = db_engine._configured_url
    db_engine.configure(url)  # which key applies depends on which database this is
    try:
        if not encryption.keys_from_file() and not encryption.configured_keys():
            if db_engine.database_url() == db_engine.default_url():
                # Do not let a new key be generated: it could not read the restored text.
                return [
                    f"There is no encryption key in {encryption.KEY_FILE}. Put the key that was in use when the "
                    "backup was made there (or in PQP_ENCRYPTION_KEYS) before starting the portal, or the restored "
                    "private text cannot be read."
                ]
        keys = encryption.current_keys()
    except encryption.MissingKey as exc:
        return [str(exc)]
    finally:
        db_engine.configure(previous)
    cipher = MultiFernet([Fernet(k.encode()) for k in keys])
    for token in tokens:
        try:
            cipher.decrypt(token.encode("ascii"))
        except (InvalidToken, ValueError):
            return [
                "The restored private text (journal notes, debriefs, supervision notes) cannot be read with the "
                "encryption key configured now. Configure the key that was in use when the backup was made "
                "(PQP_ENCRYPTION_KEYS, encryption_key in secrets, or data/encryption.key); if the key was rotated "
                "since, list the new key first and the old one after it."
            ]
    return []
