"""Export a city to one archive file, and import such an archive as a new city.

The archive format is documented (and versioned) in docs/export-format.md; in short, a ZIP file holding:

- ``manifest.json``: format name and version, the city's metadata, the migrations applied to its schema,
  every table (columns, primary key, row count, size and sha256 of its data file), the position of every
  sequence, and every uploaded file (size and sha256);
- ``tables/<table>.csv``: one file per table of the city's schema, written by PostgreSQL itself
  (``COPY (SELECT ... ORDER BY <primary key>) TO STDOUT WITH (FORMAT csv, HEADER)``);
- ``media/<path>``: the city's uploaded files (everything under ``MEDIA_ROOT/<schema>/``).

Why ZIP and not tar.gz: a tar header carries the size of a member *before* its bytes, so streaming a
``COPY`` of unknown length into a tar means spooling it to a temporary file first; a ZIP entry can be
written as a stream. ZIP also has a central directory, so the importer reads the manifest and checks every
entry without decompressing the whole archive first, and each entry carries a CRC-32 that zipfile checks
for free. ZIP64 lifts the 4 GiB limits.

Why the table digest is the sha256 of the table's CSV: the same function (``table_digest``) streams the
canonical CSV of a table at export time (into the archive) and again after an import (into nothing but the
hash), so the post-import check compares like with like, byte for byte. "Canonical" means a fixed row
order (primary key, compared with the "C" collation so that the order does not depend on the server's
locale) and fixed output settings (``CANONICAL_SETTINGS``: UTC, ISO dates, hex bytea, shortest exact
floats), all set with ``set_config(..., is_local => true)`` so they never leak out of the transaction.

``django_migrations`` is not exported as data: its ids and timestamps belong to the schema that ran the
migrations, not to the city. Its content is the manifest's ``migrations`` list, and the import rule of
format v1 is that this list must equal the one of a freshly migrated city schema of this code base, so the
new schema's own ``django_migrations`` is already right.

Memory stays flat whatever the size of a table: rows go from PostgreSQL to the ZIP entry (and back) in
chunks through psycopg 3's copy API, and files are copied in chunks.
"""

from __future__ import annotations

import contextlib
import graphlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

import psycopg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from psycopg import sql

from core.exceptions import ApplicationError
from tenants import routing
from tenants.db import connection
from tenants.models import City, CityStatus, Domain
from tenants.services import city_create
from tenants.validators import schema_name_for_slug, validate_city_slug

FORMAT_NAME = "fluicity-city-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
TABLES_PREFIX = "tables/"
MEDIA_PREFIX = "media/"
# Its content travels as ArchiveManifest.migrations, not as data (see the module docstring).
MIGRATIONS_TABLE = "django_migrations"
CHUNK_SIZE = 1 << 16

# Session settings under which table data is written and read, so that the CSV of the same rows is the
# same bytes on any server and any connection (see docs/export-format.md, "CSV dialect").
CANONICAL_SETTINGS: tuple[tuple[str, str], ...] = (
    ("client_encoding", "UTF8"),
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
)

Progress = Callable[[int, int, str], None]
PgCursor = psycopg.Cursor[Any]


# --- Manifest ---------------------------------------------------------------------------------------


def _invalid_manifest(detail: str) -> ApplicationError:
    return ApplicationError(f"The archive's manifest is not valid: {detail}.", code="invalid_manifest")


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    """One typed field of a JSON object, or ApplicationError(invalid_manifest)."""
    if key not in data:
        if optional:
            return None
        raise _invalid_manifest(f"field “{key}” is missing")
    value = data[key]
    if value is None and optional:
        return None
    # bool is an int in Python; a JSON true is never a valid count, size or version.
    if isinstance(value, bool) and kind is not bool:
        raise _invalid_manifest(f"field “{key}” has the wrong type")
    if not isinstance(value, kind):
        raise _invalid_manifest(f"field “{key}” has the wrong type")
    return value


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = _field(data, key, list)
    if not all(isinstance(item, dict) for item in items):
        raise _invalid_manifest(f"“{key}” must be a list of objects")
    return cast(list[Mapping[str, Any]], items)


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    type: str  # PostgreSQL's format_type(), e.g. "character varying(254)", "timestamp with time zone"


@dataclass(frozen=True)
class TableEntry:
    """One table of the city's schema and its data file ``tables/<name>.csv``.

    ``sha256`` is both the digest of the data file and the content digest of the table: the file *is*
    the table's canonical CSV (see ``table_digest``).
    """

    name: str
    file: str
    columns: tuple[ColumnEntry, ...]
    primary_key: tuple[str, ...]
    rows: int
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "primary_key": list(self.primary_key),
            "rows": self.rows,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableEntry:
        columns = tuple(
            ColumnEntry(name=_field(c, "name", str), type=_field(c, "type", str)) for c in _objects(data, "columns")
        )
        primary_key = _field(data, "primary_key", list)
        if not all(isinstance(name, str) for name in primary_key):
            raise _invalid_manifest("“primary_key” must be a list of column names")
        return cls(
            name=_field(data, "name", str),
            file=_field(data, "file", str),
            columns=columns,
            primary_key=tuple(primary_key),
            rows=_field(data, "rows", int),
            size=_field(data, "size", int),
            sha256=_field(data, "sha256", str),
        )


@dataclass(frozen=True)
class SequenceEntry:
    """A sequence of the schema and its position: ``last_value`` is None when it was never used.

    ``table``/``column`` name the column that owns it (serial or identity), if any.
    """

    name: str
    table: str | None
    column: str | None
    last_value: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "table": self.table, "column": self.column, "last_value": self.last_value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequenceEntry:
        return cls(
            name=_field(data, "name", str),
            table=_field(data, "table", str, optional=True),
            column=_field(data, "column", str, optional=True),
            last_value=_field(data, "last_value", int, optional=True),
        )


@dataclass(frozen=True)
class MediaEntry:
    """One uploaded file: ``path`` relative to the city's media directory, stored as ``media/<path>``."""

    path: str
    file: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file": self.file, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MediaEntry:
        return cls(
            path=_field(data, "path", str),
            file=_field(data, "file", str),
            size=_field(data, "size", int),
            sha256=_field(data, "sha256", str),
        )


@dataclass(frozen=True)
class CityMetadata:
    """The City row (public schema) as exported; the slug and schema name of an import are new."""

    slug: str
    schema_name: str
    name: str
    country: str
    default_language: str
    time_zone: str
    brand_color: str
    status: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "schema_name": self.schema_name,
            "name": self.name,
            "country": self.country,
            "default_language": self.default_language,
            "time_zone": self.time_zone,
            "brand_color": self.brand_color,
            "status": self.status,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CityMetadata:
        return cls(**{key: _field(data, key, str) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ArchiveManifest:
    """``manifest.json``: what the archive holds and how to check it (docs/export-format.md)."""

    format: str
    format_version: int
    exported_at: str
    platform_version: str
    postgresql_version: str
    city: CityMetadata
    migrations: tuple[tuple[str, str], ...]
    tables: tuple[TableEntry, ...]
    sequences: tuple[SequenceEntry, ...]
    media: tuple[MediaEntry, ...]

    def to_json(self) -> str:
        document = {
            "format": self.format,
            "format_version": self.format_version,
            "exported_at": self.exported_at,
            "platform_version": self.platform_version,
            "postgresql_version": self.postgresql_version,
            "city": self.city.to_dict(),
            "migrations": [list(pair) for pair in self.migrations],
            "tables": [table.to_dict() for table in self.tables],
            "sequences": [sequence.to_dict() for sequence in self.sequences],
            "media": [entry.to_dict() for entry in self.media],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ArchiveManifest:
        """Parse and type-check a manifest. The format name and version are checked first, so a later
        version is refused with a clear message instead of a field error."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _invalid_manifest("it is not JSON") from exc
        if not isinstance(data, dict):
            raise _invalid_manifest("it is not a JSON object")
        if data.get("format") != FORMAT_NAME:
            raise ApplicationError(
                f"This file is not a Fluicity city export (format “{data.get('format')}”, expected “{FORMAT_NAME}”).",
                code="invalid_archive",
            )
        version = data.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise ApplicationError(
                f"This export uses format version {version!r}; this version of Fluicity reads version "
                f"{FORMAT_VERSION} only.",
                code="unsupported_format_version",
            )
        migrations = _field(data, "migrations", list)
        if not all(isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m) for m in migrations):
            raise _invalid_manifest("“migrations” must be a list of [app, name] pairs")
        return cls(
            format=FORMAT_NAME,
            format_version=FORMAT_VERSION,
            exported_at=_field(data, "exported_at", str),
            platform_version=_field(data, "platform_version", str),
            postgresql_version=_field(data, "postgresql_version", str),
            city=CityMetadata.from_dict(_field(data, "city", dict)),
            migrations=tuple((app, name) for app, name in migrations),
            tables=tuple(TableEntry.from_dict(t) for t in _objects(data, "tables")),
            sequences=tuple(SequenceEntry.from_dict(s) for s in _objects(data, "sequences")),
            media=tuple(MediaEntry.from_dict(m) for m in _objects(data, "media")),
        )


# --- Database helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveTable:
    """A table as found in a schema right now (introspected from pg_catalog)."""

    name: str
    columns: tuple[ColumnEntry, ...]
    primary_key: tuple[str, ...]
    collatable: frozenset[str]  # columns of a collatable type: ordered with COLLATE "C"


@contextlib.contextmanager
def _canonical_transaction(*, snapshot: bool) -> Iterator[PgCursor]:
    """A transaction (or a savepoint inside the caller's) with CANONICAL_SETTINGS, and its psycopg cursor.

    ``snapshot``: when this is the outermost transaction, make it REPEATABLE READ, READ ONLY so that every
    table of an export comes from one consistent snapshot. Inside a caller's transaction, that
    transaction's own snapshot rules apply.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = cast(PgCursor, django_cursor.cursor)
        if outermost and snapshot:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, value in CANONICAL_SETTINGS:
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
        yield cursor


def introspect_tables(cursor: PgCursor, *, schema: str) -> list[LiveTable]:
    """Every ordinary or partitioned table of ``schema`` except ``django_migrations``, by name.

    Generated columns are left out (PostgreSQL recomputes them; COPY FROM cannot write them). Partitions
    are left out too: their rows are read and written through their partitioned parent.
    """
    cursor.execute(
        """
        SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> %s
        ORDER BY c.relname COLLATE "C"
        """,
        (schema, MIGRATIONS_TABLE),
    )
    tables = []
    for oid, name in cursor.fetchall():
        cursor.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attcollation <> 0
            FROM pg_attribute a
            WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attnum
            """,
            (oid,),
        )
        rows = cursor.fetchall()
        cursor.execute(
            """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s AND i.indisprimary
            ORDER BY k.position
            """,
            (oid,),
        )
        primary_key = tuple(row[0] for row in cursor.fetchall())
        tables.append(
            LiveTable(
                name=name,
                columns=tuple(ColumnEntry(name=column, type=type_) for column, type_, _ in rows),
                primary_key=primary_key,
                collatable=frozenset(column for column, _, collatable in rows if collatable),
            )
        )
    return tables


def table_digest(
    cursor: PgCursor, *, schema: str, table: LiveTable, sink: Callable[[bytes], object] | None = None
) -> tuple[int, int, str]:
    """Stream the canonical CSV of one table; return (rows, bytes, sha256 hex). Export and post-import
    check both call this, so their digests compare the same thing.

    The CSV is PostgreSQL's own (``COPY ... TO STDOUT WITH (FORMAT csv, HEADER)``), rows ordered by the
    primary key (``COLLATE "C"`` on text keys), or by the whole row as text when there is no primary key.
    Must run inside ``_canonical_transaction``. ``sink`` receives every chunk (the export writes them to the
    archive); nothing is held in memory beyond one chunk.
    """
    columns = sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns)
    order: sql.Composable
    if table.primary_key:
        order = sql.SQL(", ").join(
            sql.SQL('{} COLLATE "C"').format(sql.Identifier(c)) if c in table.collatable else sql.Identifier(c)
            for c in table.primary_key
        )
    else:
        order = sql.SQL('(t.*)::text COLLATE "C"')
    query = sql.SQL("COPY (SELECT {columns} FROM {table} AS t ORDER BY {order}) TO STDOUT WITH (FORMAT csv, HEADER)")
    digest = hashlib.sha256()
    size = 0
    with cursor.copy(query.format(columns=columns, table=sql.Identifier(schema, table.name), order=order)) as copy:
        for chunk in copy:
            data = bytes(chunk)
            digest.update(data)
            size += len(data)
            if sink is not None:
                sink(data)
    return cursor.rowcount, size, digest.hexdigest()


def schema_digests(*, schema: str) -> dict[str, tuple[int, int, str]]:
    """(rows, bytes, sha256) of the canonical CSV of every table of ``schema``, as the manifest records
    them: compare two cities, or a city with an archive, without exporting anything."""
    with _canonical_transaction(snapshot=True) as cursor:
        return {
            table.name: table_digest(cursor, schema=schema, table=table)
            for table in introspect_tables(cursor, schema=schema)
        }


def _applied_migrations(cursor: PgCursor, *, schema: str) -> tuple[tuple[str, str], ...]:
    cursor.execute(
        sql.SQL("SELECT app, name FROM {} ORDER BY app, name").format(sql.Identifier(schema, MIGRATIONS_TABLE))
    )
    return tuple((app, name) for app, name in cursor.fetchall())


def _sequences(cursor: PgCursor, *, schema: str) -> list[SequenceEntry]:
    """Every sequence of the schema, its owning column if any, and its position."""
    cursor.execute(
        """
        SELECT s.relname, t.relname, a.attname, ps.last_value
        FROM pg_class s
        JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname
        LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE n.nspname = %s AND s.relkind = 'S'
        ORDER BY s.relname COLLATE "C"
        """,
        (schema,),
    )
    return [
        SequenceEntry(name=name, table=table, column=column, last_value=last_value)
        for name, table, column, last_value in cursor.fetchall()
        if table != MIGRATIONS_TABLE
    ]


def _load_order(cursor: PgCursor, *, schema: str, names: Sequence[str]) -> list[str]:
    """Tables ordered so that referenced tables come first. Django's foreign keys are DEFERRABLE INITIALLY
    DEFERRED so order does not matter for them; this also keeps non-deferrable ones (hand-written SQL) happy.
    On a cycle, the name order is kept and the deferred checks have the last word."""
    cursor.execute(
        """
        SELECT c.relname, r.relname FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND n.nspname = %s
        """,
        (schema,),
    )
    wanted = set(names)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter({name: () for name in names})
    for table, referenced in cursor.fetchall():
        if table in wanted and referenced in wanted and table != referenced:
            sorter.add(table, referenced)
    try:
        return list(sorter.static_order())
    except graphlib.CycleError:
        return list(names)


def _postgresql_version(cursor: PgCursor) -> str:
    cursor.execute("SHOW server_version")
    row = cursor.fetchone()
    return str(row[0]) if row else "unknown"


def _platform_version() -> str:
    try:
        return metadata.version("fluicity")
    except metadata.PackageNotFoundError:
        return "unknown"


def expected_migrations() -> tuple[tuple[str, str], ...]:
    """The migrations a freshly migrated city schema of this code base records in ``django_migrations``.

    Django records every migration of every installed app in each schema it migrates (django-tenants'
    router only turns the operations of non-tenant apps into no-ops), and a squashed migration is recorded
    together with the migrations it replaces.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        names.update(migration.replaces)
    return tuple(sorted(names))


# --- Media ----------------------------------------------------------------------------------------------


def city_media_root(schema_name: str) -> Path:
    """Where django-tenants' TenantFileSystemStorage keeps the uploads of a schema."""
    relative = getattr(settings, "MULTITENANT_RELATIVE_MEDIA_ROOT", "") or "%s"
    relative = relative % schema_name if "%s" in relative else os.path.join(relative, schema_name)
    return Path(settings.MEDIA_ROOT) / relative


def _media_files(root: Path) -> list[tuple[str, Path]]:
    """Regular files under ``root``, as (posix relative path, path), sorted. Symbolic links are skipped:
    they may point outside the city's directory, and are not the city's uploads."""
    if not root.is_dir():
        return []
    found = []
    for directory, subdirectories, files in os.walk(root):  # does not descend into linked directories
        subdirectories.sort()
        for filename in files:
            path = Path(directory) / filename
            if path.is_symlink() or not path.is_file():
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _safe_media_parts(path: str) -> tuple[str, ...]:
    """The parts of a media path from a manifest, refusing anything that could escape the media root."""
    pure = PurePosixPath(path)
    parts = pure.parts
    if (
        not parts
        or pure.is_absolute()
        or "\\" in path
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
        or pure.as_posix() != path
    ):
        raise _invalid_manifest(f"media path “{path}” is not a plain relative path")
    return parts


def _copy_stream(source: IO[bytes], sink: Callable[[bytes], object], *, limit: int | None = None) -> tuple[int, str]:
    """Copy ``source`` to ``sink`` in chunks; return (bytes, sha256 hex). Stops one byte past ``limit``."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE if limit is None else min(CHUNK_SIZE, limit + 1 - size)):
        digest.update(chunk)
        size += len(chunk)
        sink(chunk)
        if limit is not None and size > limit:
            break
    return size, digest.hexdigest()


def _discard(_chunk: bytes) -> None:
    return None


def _zip_entry(archive: zipfile.ZipFile, name: str) -> IO[bytes]:
    """A new entry of ``archive`` open for streaming, stamped with the current time (UTC)."""
    info = zipfile.ZipInfo(name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return archive.open(info, "w", force_zip64=True)


# --- Export ---------------------------------------------------------------------------------------------


def _report(progress: Progress | None, done: int, total: int, label: str) -> None:
    if progress is not None:
        progress(done, total, label)


def export_city(*, city: City, destination: Path, progress: Progress | None = None) -> ArchiveManifest:
    """Write the whole city (its schema's tables and its uploaded files) to the ZIP file ``destination``.

    Tables come from one consistent snapshot when called outside a transaction. The archive is written
    to a temporary file next to ``destination`` and moved into place at the end, so a failed export leaves
    no partial archive behind. ``progress(done, total, label)`` is called after each table and each file.
    """
    schema = city.schema_name
    media = _media_files(city_media_root(schema))
    destination = Path(destination)
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    os.close(handle)
    try:
        with (
            _canonical_transaction(snapshot=True) as cursor,
            zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        ):
            tables = introspect_tables(cursor, schema=schema)
            total = len(tables) + len(media)
            done = 0
            table_entries = []
            for table in tables:
                file = f"{TABLES_PREFIX}{table.name}.csv"
                with _zip_entry(archive, file) as out:
                    rows, size, digest = table_digest(cursor, schema=schema, table=table, sink=out.write)
                table_entries.append(
                    TableEntry(
                        name=table.name,
                        file=file,
                        columns=table.columns,
                        primary_key=table.primary_key,
                        rows=rows,
                        size=size,
                        sha256=digest,
                    )
                )
                done += 1
                _report(progress, done, total, f"table {table.name}")
            media_entries = []
            for relative, path in media:
                file = MEDIA_PREFIX + relative
                with path.open("rb") as source, _zip_entry(archive, file) as out:
                    size, digest = _copy_stream(source, out.write)
                media_entries.append(MediaEntry(path=relative, file=file, size=size, sha256=digest))
                done += 1
                _report(progress, done, total, f"file {relative}")
            manifest = ArchiveManifest(
                format=FORMAT_NAME,
                format_version=FORMAT_VERSION,
                exported_at=timezone.now().isoformat(),
                platform_version=_platform_version(),
                postgresql_version=_postgresql_version(cursor),
                city=CityMetadata(
                    slug=city.slug,
                    schema_name=schema,
                    name=city.name,
                    country=city.country,
                    default_language=city.default_language,
                    time_zone=city.time_zone,
                    brand_color=city.brand_color,
                    status=city.status,
                    created_at=city.created_at.isoformat(),
                ),
                migrations=_applied_migrations(cursor, schema=schema),
                tables=tuple(table_entries),
                sequences=tuple(_sequences(cursor, schema=schema)),
                media=tuple(media_entries),
            )
            archive.writestr(MANIFEST_NAME, manifest.to_json())
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return manifest


# --- Import ---------------------------------------------------------------------------------------------


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code)


def _check_slug(slug: str) -> None:
    try:
        validate_city_slug(slug)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="invalid_slug", fields={"slug": exc.messages}) from exc
    if City.objects.filter(slug=slug).exists():
        raise ApplicationError(f"The subdomain “{slug}” is taken.", code="slug_taken", fields={"slug": ["Taken."]})


def _read_manifest(archive: zipfile.ZipFile) -> ArchiveManifest:
    try:
        text = archive.read(MANIFEST_NAME)
    except KeyError as exc:
        raise _refuse("This file is not a Fluicity city export: it has no manifest.json.", "invalid_archive") from exc
    return ArchiveManifest.from_json(text)


def _check_listing(archive: zipfile.ZipFile, manifest: ArchiveManifest) -> None:
    """Every file the manifest lists is in the archive, once, and the archive holds nothing else."""
    table_names = [table.name for table in manifest.tables]
    if len(set(table_names)) != len(table_names):
        raise _invalid_manifest("a table is listed twice")
    if MIGRATIONS_TABLE in table_names:
        raise _invalid_manifest(f"{MIGRATIONS_TABLE} must not be exported as data")
    for table in manifest.tables:
        if table.file != f"{TABLES_PREFIX}{table.name}.csv":
            raise _invalid_manifest(f"table {table.name} has an unexpected file name “{table.file}”")
        if not table.columns:
            raise _invalid_manifest(f"table {table.name} has no columns")
    for entry in manifest.media:
        _safe_media_parts(entry.path)
        if entry.file != MEDIA_PREFIX + entry.path:
            raise _invalid_manifest(f"media file {entry.path} has an unexpected file name “{entry.file}”")
    names = archive.namelist()
    if len(set(names)) != len(names):
        raise _refuse("The archive holds the same file twice.", "invalid_archive")
    listed = {MANIFEST_NAME} | {t.file for t in manifest.tables} | {m.file for m in manifest.media}
    if len(listed) != 1 + len(manifest.tables) + len(manifest.media):
        raise _invalid_manifest("a file is listed twice")
    missing = sorted(listed - set(names))
    if missing:
        raise _refuse(f"The archive is incomplete: {', '.join(missing[:5])} missing.", "missing_file")
    extra = sorted(set(names) - listed)
    if extra:
        raise _refuse(f"The archive holds files its manifest does not list: {', '.join(extra[:5])}.", "unexpected_file")


def _check_migrations(found: Sequence[tuple[str, str]], *, where: str) -> None:
    expected = set(expected_migrations())
    actual = set(found)
    if actual == expected:
        return
    unknown = sorted(f"{app}.{name}" for app, name in actual - expected)
    missing = sorted(f"{app}.{name}" for app, name in expected - actual)
    details = []
    if missing:
        details.append(f"not applied in the {where}: {', '.join(missing[:10])}")
    if unknown:
        details.append(f"unknown to this version: {', '.join(unknown[:10])}")
    raise _refuse(
        "The archive's migration state differs from this version of Fluicity. Format v1 imports only an "
        "archive whose applied migrations equal those of a freshly migrated city; "
        + "; ".join(details)
        + ". Export again from a platform at the same version, or import with the matching version.",
        "migration_mismatch",
    )


def _check_digests(archive: zipfile.ZipFile, manifest: ArchiveManifest, progress: Progress | None, total: int) -> int:
    """Read every listed file once, in chunks, and compare its size and sha256 to the manifest."""
    entries: list[tuple[str, int, str]] = [(t.file, t.size, t.sha256) for t in manifest.tables]
    entries += [(m.file, m.size, m.sha256) for m in manifest.media]
    done = 0
    for file, size, sha256 in entries:
        try:
            with archive.open(file) as source:
                actual_size, actual_sha256 = _copy_stream(source, _discard, limit=size)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _refuse(f"The archive is damaged: {file} cannot be read ({exc}).", "invalid_archive") from exc
        if actual_size != size or actual_sha256 != sha256:
            raise _refuse(
                f"The archive is damaged or was altered: {file} does not match the digest of its manifest.",
                "digest_mismatch",
            )
        done += 1
        _report(progress, done, total, f"check {file}")
    return done


def _check_schema(cursor: PgCursor, *, schema: str, manifest: ArchiveManifest) -> list[LiveTable]:
    """The new schema has exactly the archive's tables and columns (same names, same types)."""
    live = introspect_tables(cursor, schema=schema)
    _check_migrations(_applied_migrations(cursor, schema=schema), where="new city's schema")
    live_columns = {table.name: table.columns for table in live}
    archive_columns = {table.name: table.columns for table in manifest.tables}
    if live_columns != archive_columns:
        different = sorted(
            name
            for name in live_columns.keys() | archive_columns.keys()
            if live_columns.get(name) != archive_columns.get(name)
        )
        raise _refuse(
            f"The archive's tables differ from those of a new city: {', '.join(different[:10])}.", "schema_mismatch"
        )
    return live


def _restore_sequences(cursor: PgCursor, *, schema: str, exported: Sequence[SequenceEntry]) -> None:
    """Every sequence restarts after max(owning column) and after its exported position, whichever is
    greater, so no id is handed out twice (not even the id of a row deleted before the export)."""
    positions = {entry.name: entry.last_value for entry in exported}
    for sequence in _sequences(cursor, schema=schema):
        qualified = sql.Identifier(schema, sequence.name).as_string(cursor)
        last_value = positions.get(sequence.name)
        if sequence.table is not None and sequence.column is not None:
            cursor.execute(
                sql.SQL(
                    "SELECT setval(%s::regclass, COALESCE(GREATEST(MAX({column}), %s), 1), "
                    "GREATEST(MAX({column}), %s) IS NOT NULL) FROM {table}"
                ).format(column=sql.Identifier(sequence.column), table=sql.Identifier(schema, sequence.table)),
                (qualified, last_value, last_value),
            )
        elif last_value is not None:
            cursor.execute("SELECT setval(%s::regclass, %s, true)", (qualified, last_value))


def _load_tables(
    archive: zipfile.ZipFile,
    manifest: ArchiveManifest,
    *,
    schema: str,
    progress: Progress | None,
    done: int,
    total: int,
) -> int:
    """Replace the content of every table of ``schema`` with the archive's, then check every table's
    row count and digest against the manifest. One transaction: on any error nothing of it stays."""
    with _canonical_transaction(snapshot=False) as cursor:
        live = {table.name: table for table in _check_schema(cursor, schema=schema, manifest=manifest)}
        # Fire checks still pending from the schema's creation (when a caller's transaction wraps us),
        # since TRUNCATE refuses tables with pending trigger events; then defer every deferrable check
        # to the end of the load, so the order of tables does not matter.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if live:
            # One statement for all tables: foreign keys between them do not block it.
            cursor.execute(
                sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(schema, name) for name in sorted(live)))
            )
        entries = {table.name: table for table in manifest.tables}
        for name in _load_order(cursor, schema=schema, names=sorted(entries)):
            entry = entries[name]
            columns = sql.SQL(", ").join(sql.Identifier(column.name) for column in entry.columns)
            query = sql.SQL("COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER)").format(
                table=sql.Identifier(schema, name), columns=columns
            )
            with archive.open(entry.file) as source, cursor.copy(query) as copy:
                _copy_stream(source, copy.write)
            done += 1
            _report(progress, done, total, f"load {name}")
        try:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        except psycopg.errors.IntegrityConstraintViolation as exc:
            raise _refuse(
                f"The archive's data is not consistent: {exc.diag.message_primary}", "integrity_error"
            ) from exc
        _restore_sequences(cursor, schema=schema, exported=manifest.sequences)
        for entry in manifest.tables:
            rows, size, sha256 = table_digest(cursor, schema=schema, table=live[entry.name])
            if (rows, size, sha256) != (entry.rows, entry.size, entry.sha256):
                raise _refuse(
                    f"Import check failed: table {entry.name} holds {rows} rows with digest {sha256[:12]}… after "
                    f"loading; the archive says {entry.rows} rows with digest {entry.sha256[:12]}….",
                    "verification_failed",
                )
            done += 1
            _report(progress, done, total, f"verify {entry.name}")
    return done


def _restore_media(
    archive: zipfile.ZipFile, manifest: ArchiveManifest, *, root: Path, progress: Progress | None, done: int, total: int
) -> int:
    """Write the uploaded files under the new city's media directory, then re-read each from disk and
    compare its size and digest with the manifest."""
    for entry in manifest.media:
        target = root.joinpath(*_safe_media_parts(entry.path))
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(entry.file) as source, target.open("xb") as out:
            _copy_stream(source, out.write)
        with target.open("rb") as written:
            size, sha256 = _copy_stream(written, _discard)
        if (size, sha256) != (entry.size, entry.sha256):
            raise _refuse(
                f"Import check failed: file {entry.path} differs from the archive once written.", "verification_failed"
            )
        done += 1
        _report(progress, done, total, f"file {entry.path}")
    return done


def _discard_city(city: City, media_root: Path) -> None:
    """Remove a city that failed to import: Domain and City rows, its schema, its media directory."""
    connection.set_schema_to_public()
    with transaction.atomic():
        Domain.objects.filter(tenant_id=city.pk).delete()
        City.objects.filter(pk=city.pk).delete()
        with connection.cursor() as cursor:
            # Inside a caller's transaction, deferred foreign-key checks would block the DROP.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(city.schema_name)))
    shutil.rmtree(media_root, ignore_errors=True)
    routing.invalidate()


def import_city(*, archive: Path, slug: str, name: str | None = None, progress: Progress | None = None) -> City:
    """Create the city ``slug`` from an export made by ``export_city``; ``name`` defaults to the exported one.

    Nothing is created until the archive has been checked: format and version, every listed file present
    and matching its digest, and a migration state equal to that of a freshly migrated city (format v1
    rule). Then the city is created (hidden as "suspended" while it loads), every table's content is
    replaced by the archive's in one transaction, sequences are moved past the loaded ids, uploaded files
    are restored, and every table and file is checked again against the manifest. If anything fails, the
    new city (rows, schema and files) is removed and the error is raised: no half city stays behind.
    Refusals are ApplicationError with a ``code`` (invalid_slug, slug_taken, invalid_archive,
    invalid_manifest, unsupported_format_version, missing_file, unexpected_file, digest_mismatch,
    migration_mismatch, media_exists, schema_mismatch, integrity_error, verification_failed).
    """
    slug = slug.strip().lower()
    _check_slug(slug)
    schema = schema_name_for_slug(slug)
    media_root = city_media_root(schema)
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(f"This file is not a Fluicity city export: {exc}.", "invalid_archive") from exc
    with opened as zip_file:
        manifest = _read_manifest(zip_file)
        _check_listing(zip_file, manifest)
        _check_migrations(manifest.migrations, where="archive")
        total = 2 * len(manifest.media) + 3 * len(manifest.tables)
        done = _check_digests(zip_file, manifest, progress, total)
        if media_root.exists() and any(media_root.iterdir()):
            raise _refuse(
                f"Files of an earlier city are still in {media_root}; move them away before importing as “{slug}”.",
                "media_exists",
            )
        exported = manifest.city
        try:
            City._meta.get_field("brand_color").clean(exported.brand_color, None)
        except ValidationError as exc:
            raise _invalid_manifest(f"city brand colour “{exported.brand_color}” is not valid") from exc
        city = city_create(
            slug=slug,
            name=name or exported.name,
            # Only to satisfy city_create: the TRUNCATE of core_user removes this account with the rest.
            admin_email=f"import-{secrets.token_hex(8)}@invalid",
            country=exported.country,
            language=exported.default_language,
            time_zone=exported.time_zone,
        )
        try:
            city.status = CityStatus.SUSPENDED  # not served while its tables are replaced
            city.save(update_fields=["status", "updated_at"])
            done = _load_tables(zip_file, manifest, schema=schema, progress=progress, done=done, total=total)
            done = _restore_media(zip_file, manifest, root=media_root, progress=progress, done=done, total=total)
            city.brand_color = exported.brand_color
            city.status = exported.status if exported.status in CityStatus.values else CityStatus.ACTIVE
            city.save(update_fields=["brand_color", "status", "updated_at"])
        except BaseException:
            _discard_city(city, media_root)
            raise
        finally:
            connection.set_schema_to_public()
    # Content type ids of the new schema are the archive's; forget any cached by this process.
    ContentType.objects.clear_cache()
    return city
