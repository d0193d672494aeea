"""The public synthesizers."""

from synthgan.synthesizers.tabular import TabularGAN, TabularGANConfig

__all__ = ["TabularGAN", "TabularGANConfig"]
