"""synthgan: synthetic copies of real datasets with conditional GANs.

The synthesizers are imported on first use (PEP 562), so that processes that only read, check or
publish data (the flow's own process when shards run on Dask) never load torch.
"""

import os

# Before scikit-learn or torch load their OpenMP runtime: idle OpenMP threads sleep instead of
# spinning, or a loaded host slows every thread pool 20-50x (see synthgan.threads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from synthgan.ingest import read_table  # noqa: E402
from synthgan.schema import ColumnKind, ColumnSpec, Schema, infer_schema  # noqa: E402
from synthgan.threads import configure_threads  # noqa: E402

__version__ = "0.1.0"
__all__ = ["ColumnKind", "ColumnSpec", "ImageGAN", "Schema", "TabularGAN", "TimeSeriesGAN", "configure_threads",
           "infer_schema", "read_table", "__version__"]
_LAZY = {"ImageGAN", "TabularGAN", "TimeSeriesGAN"}


def __getattr__(name: str):
    if name in _LAZY:
        from synthgan import synthesizers
        return getattr(synthesizers, name)
    raise AttributeError(f"module 'synthgan' has no attribute {name!r}")
