"""Read a real database of related tables: the tables, and their keys from the database itself.

``read_database(url)`` reads every table (or those named) over SQLAlchemy: SQLite is the embedded
default (``sqlite:///path.db``, or a path to a ``.db``/``.sqlite`` file), PostgreSQL goes through
the same call (``postgresql+psycopg://user@host/db``). Primary and foreign keys, composite ones
included, are reflected from the database's own constraints; a folder of CSV/Parquet files (one
table a file, the file's stem its name) has none, so its keys come from ``metadata``, which can
also add to or override a database's (a dict, or a JSON/YAML file):

.. code-block:: yaml

    primary_keys: {planes: [tailnum], weather: [origin, time_hour]}
    foreign_keys:
      - {child: flights, columns: [tailnum], parent: planes}
      - {child: flights, columns: [origin, time_hour], parent: weather}

Real foreign keys that do not resolve (a flight to an airport missing from ``airports``) are
counted and handled by a stated policy, ``unresolved``: ``"null"`` (the default: the key's cells
of those rows become null, so the rows stay and have no parent; a composite key's columns that
another key also uses stay, so a flight without its weather row keeps its airport), ``"drop"`` (the rows are
dropped, and rows of other tables that referred to them are then checked in turn) or ``"keep"``
(the columns stay as they are and the key is no longer a key). ``Database.unresolved`` reports
each key's rows, distinct values and the policy applied. Tables are read whole (a table larger
than memory needs ``sample_rows``: the first rows of each table, stated in the report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synthgan.errors import DataError, SchemaError
from synthgan.ingest.tabular import PARQUET_SUFFIXES, CSV_SUFFIXES, clean_frame, read_table

POLICIES = ("null", "drop", "keep")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class ForeignKey:
    """``child.columns`` refers to ``parent.parent_columns`` (the parent's primary key)."""

    child: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.child}({', '.join(self.columns)}) -> {self.parent}({', '.join(self.parent_columns)})"

    def to_dict(self) -> dict:
        return {"child": self.child, "columns": list(self.columns), "parent": self.parent,
                "parent_columns": list(self.parent_columns)}


@dataclass(frozen=True)
class Metadata:
    """Primary keys (table -> columns; a table may have none) and foreign keys of a database."""

    primary_keys: Mapping[str, tuple[str, ...]]
    foreign_keys: tuple[ForeignKey, ...] = ()

    def to_dict(self) -> dict:
        return {"primary_keys": {t: list(c) for t, c in self.primary_keys.items()},
                "foreign_keys": [fk.to_dict() for fk in self.foreign_keys]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "metadata") -> "Metadata":
        return _override(cls({}, ()), d, where)

    def children(self, table: str) -> list[ForeignKey]:
        return [fk for fk in self.foreign_keys if fk.parent == table]

    def parents(self, table: str) -> list[ForeignKey]:
        return [fk for fk in self.foreign_keys if fk.child == table]


@dataclass
class Database:
    """Tables (name -> DataFrame) and their keys; ``unresolved`` reports the foreign keys that did
    not resolve in the real data and what was done about them."""

    tables: dict[str, pd.DataFrame]
    metadata: Metadata
    unresolved: list[dict] = field(default_factory=list)


def read_database(url: str | Path, tables: Sequence[str] | None = None,
                  metadata: Mapping[str, Any] | str | Path | None = None, unresolved: str = "null",
                  sample_rows: int | None = None) -> Database:
    """The tables and keys of a database (SQLAlchemy URL or SQLite file) or of a folder of files.

    Parameters
    ----------
    url : str or Path
        ``sqlite:///file.db``, ``postgresql+psycopg://...``, a SQLite file, or a folder of
        CSV/Parquet files (one table each).
    tables : sequence of str, optional
        Only these tables (every foreign key among them is kept; keys to other tables are not).
    metadata : dict or path, optional
        Primary and foreign keys to add or override (see the module's docstring).
    unresolved : {"null", "drop", "keep"}
        What to do with foreign-key values that name no parent row.
    sample_rows : int, optional
        Read at most this many rows of each table (the first ones).
    """
    if unresolved not in POLICIES:
        raise SchemaError(f"unresolved: expected one of {list(POLICIES)}, got {unresolved!r}")
    path = Path(url) if not str(url).count("://") else None
    if path is not None and path.is_dir():
        frames, meta = _read_folder(path, tables, sample_rows), Metadata({}, ())
    else:
        if path is not None:
            if not path.is_file() or path.suffix.lower() not in SQLITE_SUFFIXES:
                raise DataError(f"{url}: not a database URL (dialect://...), a SQLite file ({', '.join(SQLITE_SUFFIXES)}) "
                                "or a folder of CSV/Parquet tables")
            url = f"sqlite:///{path.resolve()}"
        frames, meta = _read_sql(str(url), tables, sample_rows)
    if metadata is not None:
        meta = _override(meta, _load_metadata(metadata), str(metadata) if not isinstance(metadata, Mapping)
                         else "metadata")
    meta = Metadata({t: meta.primary_keys.get(t, ()) for t in frames},
                    tuple(fk for fk in meta.foreign_keys if fk.child in frames and fk.parent in frames))
    check_keys(frames, meta)
    return resolve(Database(frames, meta), unresolved)


# ----------------------------------------------------------------------------------- reading
def _read_sql(url: str, tables: Sequence[str] | None, sample_rows: int | None) -> tuple[dict, Metadata]:
    import sqlalchemy as sa
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as e:
        raise DataError(f"{url}: not a usable database URL ({e})") from None
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            names = insp.get_table_names()
            if not names:
                raise DataError(f"{_safe(url)}: the database has no tables")
            chosen = _choose(names, tables, _safe(url))
            pks, fks, frames = {}, [], {}
            for name in chosen:
                pks[name] = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
                for fk in insp.get_foreign_keys(name):
                    fks.append(ForeignKey(name, tuple(fk["constrained_columns"]), fk["referred_table"],
                                          tuple(fk["referred_columns"])))
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                query = sa.select(table) if sample_rows is None else sa.select(table).limit(int(sample_rows))
                frames[name] = clean_frame(pd.read_sql(query, conn), source=f"{_safe(url)}, table {name}",
                                           allow_null_columns=True)
    except sa.exc.SQLAlchemyError as e:
        raise DataError(f"{_safe(url)}: cannot read the database ({type(e).__name__}: "
                        f"{str(e).splitlines()[0]})") from None
    finally:
        engine.dispose()
    return frames, Metadata(pks, tuple(fks))


def _read_folder(path: Path, tables: Sequence[str] | None, sample_rows: int | None) -> dict:
    files = {}
    for f in sorted(path.iterdir()):
        suffixes = "".join(f.suffixes).lower()
        if f.is_file() and any(suffixes.endswith(s) or suffixes.endswith(s + ".gz") for s in (*CSV_SUFFIXES, *PARQUET_SUFFIXES)):
            files[f.name.split(".")[0]] = f
    if not files:
        raise DataError(f"{path}: the folder holds no CSV or Parquet tables")
    frames = {}
    for name in _choose(list(files), tables, str(path)):
        df = read_table(files[name]).data
        frames[name] = df if sample_rows is None else df.head(int(sample_rows))
    return frames


def _choose(names: list[str], tables: Sequence[str] | None, where: str) -> list[str]:
    if tables is None:
        return list(names)
    missing = [t for t in tables if t not in names]
    if missing:
        raise DataError(f"{where}: no table(s) {missing} (tables: {sorted(names)})")
    return list(tables)


def _safe(url: str) -> str:
    """The URL without its password."""
    try:
        import sqlalchemy as sa
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:                       # not a URL at all: the caller's own text
        return url


# ----------------------------------------------------------------------------------- metadata
def _load_metadata(metadata: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(metadata, Mapping):
        return metadata
    import yaml
    p = Path(metadata)
    if not p.is_file():
        raise SchemaError(f"{p}: metadata file not found")
    try:
        d = yaml.safe_load(p.read_text(encoding="utf-8"))     # JSON is YAML too
    except yaml.YAMLError as e:
        raise SchemaError(f"{p}: not JSON or YAML ({e})") from None
    if not isinstance(d, Mapping):
        raise SchemaError(f"{p}: expected a mapping with primary_keys and/or foreign_keys")
    return d


def _override(meta: Metadata, d: Mapping[str, Any], where: str) -> Metadata:
    unknown = set(d) - {"primary_keys", "foreign_keys"}
    if unknown:
        raise SchemaError(f"{where}: unknown field(s) {sorted(unknown)} (expected primary_keys, foreign_keys)")
    pks = dict(meta.primary_keys)
    for table, cols in (d.get("primary_keys") or {}).items():
        pks[table] = (cols,) if isinstance(cols, str) else tuple(cols)
    fks = list(meta.foreign_keys)
    for i, fk in enumerate(d.get("foreign_keys") or []):
        try:
            cols = (fk["columns"],) if isinstance(fk["columns"], str) else tuple(fk["columns"])
            parent_cols = fk.get("parent_columns") or pks.get(fk["parent"])
            if not parent_cols:
                raise SchemaError(f"{where}: foreign_keys[{i}]: parent {fk['parent']!r} has no primary key; "
                                  "give parent_columns")
            parent_cols = (parent_cols,) if isinstance(parent_cols, str) else tuple(parent_cols)
            new = ForeignKey(fk["child"], cols, fk["parent"], parent_cols)
        except (KeyError, TypeError) as e:
            raise SchemaError(f"{where}: foreign_keys[{i}]: expected child, columns and parent ({e})") from None
        fks = [f for f in fks if (f.child, f.columns) != (new.child, new.columns)] + [new]
    return Metadata(pks, tuple(fks))


def check_keys(frames: Mapping[str, pd.DataFrame], meta: Metadata) -> None:
    """Every key names real columns; primary keys hold no nulls and no duplicates; a foreign key
    has as many columns as its parent's key; a key column is not all null."""
    for table, cols in meta.primary_keys.items():
        df = frames[table]
        _columns_exist(df, cols, f"table {table}: primary key")
        if not cols:
            continue
        nulls = int(df[list(cols)].isna().any(axis=1).sum())
        if nulls:
            raise DataError(f"table {table}: primary key {list(cols)} is null in {nulls:,} of {len(df):,} rows")
        dup = int(df.duplicated(list(cols)).sum())
        if dup:
            raise DataError(f"table {table}: primary key {list(cols)} repeats in {dup:,} rows")
    for fk in meta.foreign_keys:
        _columns_exist(frames[fk.child], fk.columns, f"foreign key {fk.name}")
        _columns_exist(frames[fk.parent], fk.parent_columns, f"foreign key {fk.name}")
        if len(fk.columns) != len(fk.parent_columns):
            raise SchemaError(f"foreign key {fk.name}: {len(fk.columns)} column(s) against {len(fk.parent_columns)}")
        if tuple(meta.primary_keys.get(fk.parent, ())) != fk.parent_columns:
            raise SchemaError(f"foreign key {fk.name}: must refer to {fk.parent}'s primary key "
                              f"{list(meta.primary_keys.get(fk.parent, ()))}")
        if len(frames[fk.child]) and frames[fk.child][list(fk.columns)].isna().all(axis=1).all():
            raise DataError(f"foreign key {fk.name}: every row of {fk.child} has a null key")


def _columns_exist(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"{what}: no column(s) {missing} (columns: {list(df.columns)})")


# ----------------------------------------------------------------------------------- unresolved keys
def dangling(db: Database, fk: ForeignKey) -> pd.Series:
    """Boolean per child row: the key is complete (no null part) and names no parent row."""
    child, parent = db.tables[fk.child], db.tables[fk.parent]
    keys = child[list(fk.columns)]
    complete = keys.notna().all(axis=1)
    target = pd.MultiIndex.from_frame(parent[list(fk.parent_columns)].astype(object))
    found = pd.MultiIndex.from_frame(keys.astype(object)).isin(target)
    return pd.Series(complete.to_numpy() & ~found, index=child.index)


def _own_columns(meta: Metadata, fk: ForeignKey) -> list[str]:
    """The key's columns that "null" empties: those not also in another key of the child (a flight
    whose weather row is missing keeps its origin airport), or all of them when every one is."""
    shared = set(meta.primary_keys.get(fk.child, ()))
    for other in meta.parents(fk.child):
        if other != fk:
            shared |= set(other.columns)
    return [c for c in fk.columns if c not in shared] or list(fk.columns)


def resolve(db: Database, policy: str) -> Database:
    """Apply ``policy`` to every foreign key's unresolved values, parents first (a row dropped from
    a parent can leave its children unresolved in turn); report each key that had any."""
    tables, report, keep = dict(db.tables), [], []
    for _ in range(len(tables) + 1):          # "drop" can cascade; each pass settles one level at least
        changed = False
        for fk in db.metadata.foreign_keys:
            bad = dangling(Database(tables, db.metadata), fk)
            if not bad.any():
                continue
            child = tables[fk.child]
            values = child.loc[bad, list(fk.columns)].drop_duplicates()
            report.append({"foreign_key": fk.name, "rows": int(bad.sum()), "of_rows": len(child),
                           "distinct_values": len(values), "examples": values.head(5).astype(str).values.tolist(),
                           "policy": policy})
            if policy == "keep":
                keep.append(fk)
                continue
            if policy == "drop":
                tables[fk.child] = child.loc[~bad].reset_index(drop=True)
                changed = True
            else:
                cols = _own_columns(db.metadata, fk)
                tables[fk.child] = child.assign(**{c: child[c].mask(bad) for c in cols})
        if policy != "drop" or not changed:
            break
    meta = Metadata(db.metadata.primary_keys, tuple(f for f in db.metadata.foreign_keys if f not in keep))
    if policy == "drop":
        merged: dict[str, dict] = {}
        for r in report:                       # one line per key: the passes summed
            m = merged.setdefault(r["foreign_key"], {**r, "rows": 0})
            m["rows"] += r["rows"]
        report = list(merged.values())
    return Database(tables, meta, report)
