"""Write a database of related tables (real or synthetic) into an empty target database, with its
primary and foreign key constraints, so an application can be pointed at it.

All-or-nothing: every table is created and filled in one transaction, its foreign keys deferred to
the commit (so rows may come in any order, a self-reference included), where the database checks
them; a SQLite file is written under a temporary name and renamed into place only when complete.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synthgan.errors import DataError, OutputError
from synthgan.files import temp_prefix
from synthgan.ingest.database import SQLITE_SUFFIXES, Database

CHUNK = 10_000          # rows an INSERT batch


def write_database(db: Database, url: str | Path) -> str:
    """Create ``db``'s tables, keys and rows in the empty database at ``url``; returns the URL.

    Parameters
    ----------
    db : Database
        Tables and metadata, as :func:`synthgan.read_database` or ``RelationalGAN.sample`` give.
    url : str or Path
        ``sqlite:///file.db`` (or a path to a new ``.db`` file: it must not exist) or
        ``postgresql+psycopg://...`` (the database must hold no tables).
    """
    path = Path(url) if "://" not in str(url) else None
    if path is None and str(url).startswith("sqlite:///") and str(url) != "sqlite:///:memory:":
        path = Path(str(url)[len("sqlite:///"):])
    if path is not None:
        if path.suffix.lower() not in SQLITE_SUFFIXES:
            raise OutputError(f"{path}: a SQLite target must end in one of {list(SQLITE_SUFFIXES)}")
        if path.exists():
            raise OutputError(f"{path}: exists; write_database fills a new, empty database")
        if not path.parent.is_dir():
            raise OutputError(f"{path.parent}: no such folder")
        tmp = path.with_name(temp_prefix(path.name) + path.suffix)
        try:
            _write(db, f"sqlite:///{tmp}")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    _write(db, str(url))
    return str(url)


def _write(db: Database, url: str) -> None:
    import sqlalchemy as sa
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as e:
        raise DataError(f"{url}: not a usable database URL ({e})") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    try:
        with engine.begin() as conn:
            existing = sa.inspect(conn).get_table_names()
            if existing:
                raise OutputError(f"{engine.url.render_as_string(hide_password=True)}: holds tables {sorted(existing)}; "
                                  "write_database fills an empty database")
            meta = build_schema(db)
            meta.create_all(conn)
            for name, df in db.tables.items():            # any order: the foreign keys are checked at commit
                table = meta.tables[name]
                rows = _records(df)
                for i in range(0, len(rows), CHUNK):
                    conn.execute(table.insert(), rows[i:i + CHUNK])
    except sa.exc.IntegrityError as e:
        raise DataError(f"{url}: the database refused the rows ({str(e.orig).splitlines()[0]}); nothing was "
                        "written") from None
    except sa.exc.SQLAlchemyError as e:
        raise DataError(f"{url}: cannot write the database ({type(e).__name__}: {str(e).splitlines()[0]}); "
                        "nothing was written") from None
    finally:
        engine.dispose()


def build_schema(db: Database):
    """SQLAlchemy tables with the columns' types, primary keys and (deferred) foreign keys."""
    import sqlalchemy as sa
    meta = sa.MetaData()
    refers = {(fk.child, c): (fk.parent, p) for fk in db.metadata.foreign_keys
              for c, p in zip(fk.columns, fk.parent_columns)}
    for name, df in db.tables.items():
        # a foreign-key column takes its parent column's type (a nullable integer read back as
        # float, say, must still match an integer key)
        cols = [sa.Column(c, sql_type(db.tables[refers[name, c][0]][refers[name, c][1]] if (name, c) in refers else df[c]),
                          nullable=c not in db.metadata.primary_keys.get(name, ())) for c in df.columns]
        constraints = []
        pk = db.metadata.primary_keys.get(name, ())
        if pk:
            constraints.append(sa.PrimaryKeyConstraint(*pk))
        for fk in db.metadata.parents(name):
            constraints.append(sa.ForeignKeyConstraint(list(fk.columns),
                                                       [f"{fk.parent}.{c}" for c in fk.parent_columns],
                                                       deferrable=True, initially="DEFERRED"))
        sa.Table(name, meta, *cols, *constraints)
    return meta


def sql_type(s: pd.Series):
    import sqlalchemy as sa
    if pd.api.types.is_bool_dtype(s.dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(s.dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(s.dtype):
        return sa.Float()
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return sa.DateTime(timezone=getattr(s.dtype, "tz", None) is not None)
    return sa.Text()


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts of Python values, nulls as None (what every DBAPI driver takes)."""
    out = df.astype(object).where(df.notna(), None)
    return out.to_dict("records")
