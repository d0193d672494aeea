"""Parquet with an explicit Arrow schema, written atomically; a content hash independent of the file
bytes (so two runs with different metadata can be compared)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthgan.schema import ColumnKind, Schema


def arrow_schema(df: pd.DataFrame, schema: Schema) -> pa.Schema:
    """The Arrow type of every column, from its kind (not from whatever pandas inferred)."""
    fields = []
    for name in df.columns:
        kind = schema[name].kind if name in schema.names else None
        s = df[name]
        if kind is ColumnKind.CONTINUOUS:
            t = pa.float64()
        elif kind is ColumnKind.DATETIME:
            t = pa.timestamp("us")
        elif kind is ColumnKind.BOOLEAN and pd.api.types.is_bool_dtype(s.dtype):
            t = pa.bool_()
        elif pd.api.types.is_integer_dtype(s.dtype):
            t = pa.int64()
        elif pd.api.types.is_float_dtype(s.dtype):
            t = pa.float64()
        elif pd.api.types.is_bool_dtype(s.dtype):
            t = pa.bool_()
        elif len(s) and isinstance(s.iloc[0], dict):          # images: {"bytes": PNG}
            t = pa.struct([("bytes", pa.binary())])
        else:
            t = pa.string()
        fields.append(pa.field(str(name), t, nullable=True))
    return pa.schema(fields)


class ContentHasher:
    """:func:`content_hash` fed frame by frame: the rows of consecutive frames hash as their concatenation."""

    def __init__(self, columns) -> None:
        self._h = hashlib.sha256("\x1f".join(map(str, columns)).encode())

    def update(self, df: pd.DataFrame) -> None:
        flat = df.apply(lambda s: s.map(lambda v: v["bytes"] if isinstance(v, dict) else v)) if any(
            len(df) and isinstance(df[c].iloc[0], dict) for c in df.columns) else df
        self._h.update(pd.util.hash_pandas_object(flat, index=False).to_numpy().tobytes())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def content_hash(df: pd.DataFrame) -> str:
    """SHA-256 of the rows' values, column names and order (not of the Parquet bytes)."""
    h = ContentHasher(df.columns)
    h.update(df)
    return h.hexdigest()


@contextmanager
def _atomic_path(path: Path, make_folder: bool = True) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed to ``path`` when the block ends cleanly and deleted
    when it raises: readers never see half a file. ``make_folder=False``: the folder must exist
    (it fails rather than recreate a folder someone removed)."""
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    from synthgan.files import file_mode, temp_prefix
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode())                    # an ordinary file, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _encoded(metadata: dict[str, str]) -> dict[bytes, bytes]:
    return {k.encode(): v.encode() for k, v in metadata.items()}


def write_csv_stream(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write consecutive frames as one CSV file (header once), atomically; returns the row count."""
    path, rows = Path(path), 0
    with _atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        for df in frames:
            df.to_csv(fh, index=False, header=rows == 0)
            rows += len(df)
    return rows


def write_parquet_stream(frames: Iterable[pd.DataFrame], path: str | Path, schema_of: Callable[[pd.DataFrame], pa.Schema],
                         metadata: dict[str, str] | None = None, make_folder: bool = True) -> tuple[int, str]:
    """Write consecutive frames as row groups of one Parquet file (under a temporary name, then
    renamed), holding one frame at a time; the Arrow schema comes from the first frame.
    Returns (rows, content hash of all rows)."""
    path = Path(path)
    writer, hasher, rows = None, None, 0
    with _atomic_path(path, make_folder) as tmp:
        try:
            for df in frames:
                if writer is None:
                    schema = schema_of(df)
                    if metadata:
                        schema = schema.with_metadata(_encoded(metadata))
                    writer, hasher = pq.ParquetWriter(tmp, schema), ContentHasher(df.columns)
                writer.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False))
                hasher.update(df)
                rows += len(df)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise ValueError(f"{path}: no frames to write")
    return rows, hasher.hexdigest()


def write_parquet_atomic(df: pd.DataFrame, path: str | Path, metadata: dict[str, str] | None = None,
                         schema: pa.Schema | None = None) -> Path:
    """Write ``df`` to ``path`` under a temporary name, then rename: readers never see half a file."""
    path = Path(path)
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **_encoded(metadata)})
    with _atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path
