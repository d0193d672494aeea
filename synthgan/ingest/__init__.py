"""Readers of real datasets. Each returns the data and its inferred :class:`~synthgan.schema.Schema`."""

from synthgan.ingest.tabular import DEFAULT_MISSING_MARKERS, Table, clean_frame, read_known, read_table

__all__ = ["DEFAULT_MISSING_MARKERS", "Table", "clean_frame", "read_known", "read_table"]
