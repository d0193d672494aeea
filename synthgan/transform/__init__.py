"""Reversible encoders: mode-specific normalisation, one-hot codes with rare grouping, null indicators."""

from synthgan.transform.categorical import CategoryEncoder
from synthgan.transform.numeric import ModeNormalizer, NumericEncoder, QuantileMap, find_point_masses
from synthgan.transform.table import Encoded, Layout, TableTransformer, span_argmax

__all__ = ["CategoryEncoder", "Encoded", "Layout", "ModeNormalizer", "NumericEncoder", "QuantileMap", "TableTransformer",
           "find_point_masses", "span_argmax"]
