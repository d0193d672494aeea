"""The public synthesizers."""

from synthgan.synthesizers.image import ImageGAN, ImageGANConfig
from synthgan.synthesizers.tabular import TabularGAN, TabularGANConfig
from synthgan.synthesizers.timeseries import TimeSeriesGAN, TimeSeriesGANConfig

__all__ = ["ImageGAN", "ImageGANConfig", "TabularGAN", "TabularGANConfig", "TimeSeriesGAN", "TimeSeriesGANConfig"]
