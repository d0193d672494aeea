"""TimeSeriesGAN and what it is made of: the model (:mod:`.model`), the static attributes and the
DP plan (:mod:`.static`, :mod:`.histogram`), scaling (:mod:`.scaling`), the training problem
(:mod:`.problem`), the networks (:mod:`.nets`) and its model folder (:mod:`.io`)."""

from synthgan.synthesizers.timeseries.model import TimeSeriesGAN
from synthgan.synthesizers.timeseries.static import LENGTH

__all__ = ["LENGTH", "TimeSeriesGAN"]
