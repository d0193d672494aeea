"""Reversible encoders: mode-specific normalisation, one-hot codes with rare grouping, null indicators."""

from synthgan.transform.categorical import CategoryEncoder
from synthgan.transform.numeric import ModeNormalizer
from synthgan.transform.table import Encoded, Layout, TableTransformer, span_argmax

__all__ = ["CategoryEncoder", "Encoded", "Layout", "ModeNormalizer", "TableTransformer", "span_argmax"]
