"""synthgan: synthetic copies of real datasets with conditional GANs.

The synthesizers are imported on first use (PEP 562), so that processes that only read, check or
publish data (the flow's own process when shards run on Dask) never load torch.
"""

from synthgan.ingest import read_table
from synthgan.ingest.database import Database, read_database
from synthgan.schema import ColumnKind, ColumnSpec, Schema, infer_schema
from synthgan.threads import configure_threads

__version__ = "0.1.0"
__all__ = ["ColumnKind", "Condition", "ColumnSpec", "Database", "ImageGAN", "RelationalGAN", "Schema", "TabularGAN",
           "TimeSeriesGAN", "configure_threads", "infer_schema", "read_database", "read_table", "write_database",
           "__version__"]
_LAZY = {"Condition", "ImageGAN", "RelationalGAN", "TabularGAN", "TimeSeriesGAN"}


def __getattr__(name: str):
    if name in _LAZY:
        from synthgan import synthesizers
        return getattr(synthesizers, name)
    if name == "write_database":
        from synthgan.publish.database import write_database
        return write_database
    raise AttributeError(f"module 'synthgan' has no attribute {name!r}")
