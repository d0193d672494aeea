"""All-or-nothing publishing of one run, and the rejected-run record.

    <output>/<name>/<run_id>/data/part-00000.parquet ...
                            /manifest.json   (request, schema, row counts, scores, gates, hashes)
                            /report.html
    <output>/<name>/LATEST                    (the newest run id; written last)
    <output>/<name>/_rejected/<run_id>/       (report.html, reasons.json: nothing published)

A run is written under a hidden temporary name beside its final place and renamed when complete;
any error on the way deletes it and leaves LATEST as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthgan.errors import SynthganError
from synthgan.publish.parquet import arrow_schema, content_hash, write_parquet_atomic
from synthgan.schema import Schema
from synthgan.files import AtomicFolder, file_sha256, write_json, write_text_atomic

PART_ROWS = 100_000
LATEST = "LATEST"
REJECTED = "_rejected"


class PublishError(SynthganError, OSError):
    """A run cannot be published (for example, its folder exists already)."""


def publish_run(root: Path, name: str, run_id: str, data: pd.DataFrame, schema: Schema, manifest: dict,
                report: Path | None = None, metadata: dict[str, str] | None = None) -> Path:
    """Publish ``data`` as ``<root>/<name>/<run_id>`` and point LATEST at it; returns the run folder."""
    arrow = arrow_schema(data, schema)

    def write(folder: Path) -> dict:
        parts = [data.iloc[i:i + PART_ROWS] for i in range(0, len(data), PART_ROWS)] or [data]
        for k, part in enumerate(parts):
            write_parquet_atomic(part, folder / f"part-{k:05d}.parquet", metadata, schema=arrow)
        return {"rows": len(data), "content_hash": content_hash(data),
                "arrow_schema": {f.name: str(f.type) for f in arrow}}

    return _publish(root, name, run_id, write, manifest, report)


def publish_parts(root: Path, name: str, run_id: str, parts: list[str | Path], rows: int, digest: str,
                  manifest: dict, report: Path | None = None) -> Path:
    """Publish Parquet parts already written (by generation shards) as ``<root>/<name>/<run_id>``.

    The parts are hard-linked (copied where links are not possible) into the run's data folder, so
    the sources stay in place and a failed attempt can be retried; they must share one Arrow schema. ``digest`` is the run's content hash (see :func:`synthgan.steps.shards.combined_hash`).
    """
    parts = [Path(p) for p in parts]
    if not parts:
        raise PublishError(f"{name}: no parts to publish")
    first = _schema_of(parts[0])
    for p in parts[1:]:
        if not _schema_of(p).equals(first):
            raise PublishError(f"{p}: its Arrow schema differs from {parts[0].name}'s "
                               f"({_schema_of(p)} vs {first})")

    def link(folder: Path) -> dict:
        for p in parts:
            try:
                os.link(p, folder / p.name)
            except OSError:                                   # another file system, or no hard links
                shutil.copyfile(p, folder / p.name)
        return {"rows": rows, "content_hash": digest, "arrow_schema": {f.name: str(f.type) for f in first}}

    return _publish(root, name, run_id, link, manifest, report)


def _schema_of(path: Path) -> pa.Schema:
    if not path.is_file():
        raise PublishError(f"{path}: part not found")
    return pq.read_schema(path).remove_metadata()


def _publish(root: Path, name: str, run_id: str, fill: Callable[[Path], dict], manifest: dict,
             report: Path | None) -> Path:
    final = Path(root) / name / run_id
    if final.exists():
        raise PublishError(f"{final}: a run with this id is already published")
    with AtomicFolder(final, overwrite=False, shared=True) as tmp:
        (tmp / "data").mkdir()
        facts = fill(tmp / "data")
        if report is not None:
            shutil.copyfile(report, tmp / "report.html")
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {**manifest, "run_id": run_id, **facts,
                    "files": {str(p.relative_to(tmp)): file_sha256(p) for p in files}}
        write_json(tmp / "manifest.json", manifest)
    write_text_atomic(Path(root) / name / LATEST, run_id + "\n")
    return final


def reject_run(root: Path, name: str, run_id: str, reasons: dict, report: Path | None = None) -> Path:
    """Record why a run was not published: ``<root>/<name>/_rejected/<run_id>/``."""
    target = Path(root) / name / REJECTED / run_id
    with AtomicFolder(target, shared=True) as tmp:
        if report is not None and Path(report).exists():
            shutil.copyfile(report, tmp / "report.html")
        write_json(tmp / "reasons.json", reasons)
    return target


def latest_run(root: Path, name: str) -> Path | None:
    """The folder LATEST names, or None before the first publication."""
    marker = Path(root) / name / LATEST
    return Path(root) / name / marker.read_text().strip() if marker.exists() else None
