"""Runs CTGAN 0.12.x in its own environment (bench/.venv-peers); called by tabular_vs_ctgan.py.

Reads the training CSV, fits CTGAN, samples, and writes the timings as JSON and the sample as CSV.
Per-epoch times come from wrapping the epoch iterator CTGAN builds with tqdm.
"""

import argparse
import json
import time

import pandas as pd
import torch

import ctgan.synthesizers.ctgan as ctgan_module
from ctgan import CTGAN
from ctgan.data_transformer import DataTransformer

from _timing import median_of_three


class _TimedRange:
    """Stands in for tqdm(range(epochs)): records the time of each epoch."""

    stamps: list = []

    def __init__(self, iterable, disable=True, **_):
        self.iterable = iterable

    def set_description(self, *_args, **_kw):
        pass

    def __iter__(self):
        _TimedRange.stamps = [time.perf_counter()]
        for x in self.iterable:
            yield x
            _TimedRange.stamps.append(time.perf_counter())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--discrete", required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--samples", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-json", required=True)
    p.add_argument("--out-csv")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    df = pd.read_csv(a.train)
    discrete = a.discrete.split(",")
    fit_times = []
    orig_fit = DataTransformer.fit

    def timed_fit(self, *args, **kw):
        t0 = time.perf_counter()
        orig_fit(self, *args, **kw)
        fit_times.append(time.perf_counter() - t0)

    DataTransformer.fit = timed_fit
    ctgan_module.tqdm = _TimedRange
    model = CTGAN(epochs=a.epochs, batch_size=a.batch_size, verbose=False)
    t0 = time.perf_counter()
    model.fit(df, discrete)
    total = time.perf_counter() - t0
    s = _TimedRange.stamps
    epoch_seconds = [b - a_ for a_, b in zip(s[:-1], s[1:])]
    result = {"transformer_fit_seconds": fit_times[0], "fit_seconds": total, "epoch_seconds": epoch_seconds}
    if a.samples:
        model.sample(1000)  # warm-up
        synth, result["sample_seconds"] = median_of_three(lambda: model.sample(a.samples))
        result["sample_rows"] = a.samples
        if a.out_csv:
            synth.to_csv(a.out_csv, index=False)
    with open(a.out_json, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
