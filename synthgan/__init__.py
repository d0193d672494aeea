"""synthgan: synthetic copies of real datasets with conditional GANs."""

from synthgan.ingest import read_table
from synthgan.schema import ColumnKind, ColumnSpec, Schema, infer_schema
from synthgan.synthesizers import ImageGAN, TabularGAN, TimeSeriesGAN

__version__ = "0.1.0"
__all__ = ["ColumnKind", "ColumnSpec", "ImageGAN", "Schema", "TabularGAN", "TimeSeriesGAN", "infer_schema", "read_table",
           "__version__"]
