"""Runs CTGAN or TVAE (ctgan 0.12.x) in its own environment (bench/.venv-peers); called by
tabular_vs_ctgan.py.

Reads the training CSV, fits the model, samples, and writes the timings as JSON and the sample as
CSV. Per-epoch times come from wrapping the epoch iterator the model builds with tqdm.
"""

import argparse
import json
import time

import pandas as pd

import ctgan.synthesizers.ctgan as ctgan_module
import ctgan.synthesizers.tvae as tvae_module
from ctgan import CTGAN, TVAE
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
    p.add_argument("--model", choices=("ctgan", "tvae"), default="ctgan")
    p.add_argument("--train", required=True)
    p.add_argument("--discrete", required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--samples", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-json", required=True)
    p.add_argument("--out-csv")
    a = p.parse_args()
    df = pd.read_csv(a.train)
    discrete = [c for c in a.discrete.split(",") if c]
    fit_times = []
    orig_fit = DataTransformer.fit

    def timed_fit(self, *args, **kw):
        t0 = time.perf_counter()
        orig_fit(self, *args, **kw)
        fit_times.append(time.perf_counter() - t0)

    DataTransformer.fit = timed_fit
    ctgan_module.tqdm = tvae_module.tqdm = _TimedRange
    cls = CTGAN if a.model == "ctgan" else TVAE
    # A batch no larger than the table (CTGAN also needs it divisible by its pack size of 10).
    batch = max(10, min(a.batch_size, len(df)) // 10 * 10)
    model = cls(epochs=a.epochs, batch_size=batch)
    model.set_random_state(a.seed)
    t0 = time.perf_counter()
    model.fit(df, discrete)
    total = time.perf_counter() - t0
    s = _TimedRange.stamps
    epoch_seconds = [b - a_ for a_, b in zip(s[:-1], s[1:])]
    result = {"transformer_fit_seconds": fit_times[0], "fit_seconds": total, "epoch_seconds": epoch_seconds,
              "batch_size": batch}
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
