"""The public synthesizers (imported on first use: they load torch)."""

from importlib import import_module

_WHERE = {"Condition": "tabular", "ImageGAN": "image", "RelationalGAN": "relational", "TabularGAN": "tabular",
          "TimeSeriesGAN": "timeseries"}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"synthgan.synthesizers.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'synthgan.synthesizers' has no attribute {name!r}")
