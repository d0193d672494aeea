"""The public synthesizers."""

from synthgan.synthesizers.tabular import TabularGAN, TabularGANConfig
from synthgan.synthesizers.timeseries import TimeSeriesGAN, TimeSeriesGANConfig

__all__ = ["TabularGAN", "TabularGANConfig", "TimeSeriesGAN", "TimeSeriesGANConfig"]
