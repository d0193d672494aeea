"""CSV and Parquet readers (a file or a folder of parts) that clean real-world mess.

Strings lose surrounding whitespace, configurable markers ('?', '', 'NA', 'null') become missing,
numbers and ISO dates stored as text become numbers and datetimes. Every failure names the file
and, where it applies, the column.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthgan.errors import DataError
from synthgan.schema import Schema, infer_schema

DEFAULT_MISSING_MARKERS: tuple[str, ...] = ("?", "", "NA", "null")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


class Table(NamedTuple):
    """A table read from disk: the cleaned frame and its inferred schema."""

    data: pd.DataFrame
    schema: Schema


def read_table(
    path: str | Path,
    columns: Sequence[str] | None = None,
    missing_markers: Iterable[str] = DEFAULT_MISSING_MARKERS,
    discrete_columns: Iterable[str] | None = None,
    kinds: dict[str, str] | None = None,
) -> Table:
    """Read a CSV or Parquet file, or a folder of such parts, into a clean frame and a schema.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.tsv`` or ``.parquet`` file, or a folder holding parts of one format.
    columns : sequence of str, optional
        Keep only these columns (each must exist).
    missing_markers : iterable of str
        Values (after stripping whitespace) that mean "missing".
    discrete_columns, kinds
        Passed to :func:`~synthgan.schema.infer_schema`.

    Raises
    ------
    DataError
        Missing, empty, unreadable or header-only file; duplicate column names; a requested column
        that is absent; a column that is entirely null.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file or folder not found")
    files = _part_files(path)
    frames = [_read_one(f) for f in files]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if columns is not None:
        absent = [c for c in columns if c not in df.columns]
        if absent:
            raise DataError(f"{path}: column(s) {absent} requested but absent; columns are {list(df.columns)}")
        df = df[list(columns)]
    df = clean_frame(df, missing_markers, source=str(path))
    return Table(df, infer_schema(df, overrides=kinds, discrete_columns=discrete_columns))


def read_known(path: str | Path, missing_markers: Iterable[str] = DEFAULT_MISSING_MARKERS) -> pd.DataFrame:
    """Rows with some cells known, for imputation (:meth:`TabularGAN.sample_remaining`): read and
    cleaned as :func:`read_table` reads real data, except that a column may be entirely empty
    (every one of its cells is to be generated)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file or folder not found")
    frames = [_read_one(f) for f in _part_files(path)]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return clean_frame(df, missing_markers, source=str(path), allow_null_columns=True)


def _part_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    parts = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES)
    if not parts:
        raise DataError(f"{path}: folder holds no .csv or .parquet parts")
    if len({p.suffix.lower() in CSV_SUFFIXES for p in parts}) > 1:
        raise DataError(f"{path}: folder mixes CSV and Parquet parts; expected one format")
    return parts


def _read_one(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes); expected a header and rows")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in CSV_SUFFIXES or (suffix == ".gz" and Path(path.stem).suffix.lower() in CSV_SUFFIXES):
        return _read_csv(path)
    raise DataError(f"{path}: unknown file type {suffix!r}; expected one of {CSV_SUFFIXES + PARQUET_SUFFIXES} "
                    "(CSV also gzip-compressed, .csv.gz)")


def _read_csv(path: Path) -> pd.DataFrame:
    import gzip
    plain = Path(path.stem) if path.suffix.lower() == ".gz" else path
    sep = "\t" if plain.suffix.lower() == ".tsv" else ","
    opener = gzip.open if plain is not path else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh, delimiter=sep), None)
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: cannot be read as UTF-8 text ({e.reason} at byte {e.start})") from None
    except (OSError, EOFError) as e:          # a .gz that is not gzip, or cut short
        raise DataError(f"{path}: cannot be read ({e})") from None
    if not header or all(not h.strip() for h in header):
        raise DataError(f"{path}: no header row; expected column names on the first line")
    _check_duplicates([h.strip() for h in header], path)
    try:
        # Everything as text first: cleaning decides the types, so ' 39' and '39 ' both become 39.
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise DataError(f"{path}: cannot be parsed as CSV: {e}") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise DataError(f"{path}: has a header but no rows")
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        _check_duplicates(pq.read_schema(path).names, path)
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataError(f"{path}: cannot be read as Parquet: {e}") from None
    if table.num_rows == 0:
        raise DataError(f"{path}: has a schema but no rows")
    return table.to_pandas()


def _check_duplicates(names: list[str], path: Path) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"{path}: duplicate column name(s) {dup}; expected unique names")


def clean_frame(df: pd.DataFrame, missing_markers: Iterable[str] = DEFAULT_MISSING_MARKERS,
                source: str = "data", allow_null_columns: bool = False) -> pd.DataFrame:
    """Strip strings, turn missing markers into nulls, and parse numbers, True/False and ISO dates
    kept as text.

    Raises
    ------
    DataError
        If a column is entirely null after cleaning (unless ``allow_null_columns``).
    """
    if df.columns.duplicated().any():
        _check_duplicates([str(c) for c in df.columns], Path(source))
    markers = {str(m).strip() for m in missing_markers}
    out = {}
    for name in df.columns:
        s = df[name]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            s = _clean_text(s, markers)
            _check_stray_text(s, name, source, markers)
        if s.isna().all() and not allow_null_columns:
            raise DataError(f"{source}: column {name!r} is entirely null (missing markers: {sorted(markers)})")
        out[name] = s
    return pd.DataFrame(out, index=df.index)


def _check_stray_text(s: pd.Series, name, source: str, markers: set[str]) -> None:
    """A column of numbers with a few stray words ("abc", "n/a") would silently become categorical
    and the GAN would generate those words: ask for them to be marked missing instead."""
    values = s.dropna()
    if len(values) < 20 or not values.map(lambda v: isinstance(v, str)).all():
        return
    numbers = pd.to_numeric(values, errors="coerce")
    stray = values[numbers.isna()]
    if 0 < len(stray) <= max(5, 0.01 * len(values)) and numbers.notna().mean() >= 0.95:
        shown = sorted(set(stray))[:5]
        raise DataError(f"{source}: column {name!r} holds numbers except {len(stray)} value(s) {shown}; "
                        f"mark them missing (missing_markers, now {sorted(markers)}) or fix them")


def _clean_text(s: pd.Series, markers: set[str]) -> pd.Series:
    non_null = s.notna()
    if non_null.any() and not s[non_null].map(lambda v: isinstance(v, str)).all():
        return s  # mixed Python objects: leave alone, schema inference treats them as categories
    stripped = s.str.strip()
    stripped = stripped.mask(stripped.isin(markers))
    values = stripped.dropna()
    if values.empty:
        return stripped
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        result = pd.to_numeric(stripped)
        if result.notna().all() and pd.api.types.is_float_dtype(result) and (result == result.round()).all():
            result = result.astype("int64")
        return result
    lowered = values.str.lower()
    if lowered.isin(("true", "false")).all():
        flags = stripped.str.lower().map({"true": True, "false": False})
        return flags.astype(bool) if flags.notna().all() else flags.astype("boolean")
    if values.str.match(_ISO_DATE).all():
        parsed = pd.to_datetime(stripped, format="ISO8601", errors="coerce")
        if parsed.notna().sum() == len(values):
            return parsed
    return stripped
