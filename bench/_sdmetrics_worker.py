"""Runs SDMetrics' QualityReport in the peer environment (bench/.venv-peers); called by
evaluate_adult.py. Reads the real CSV, each synthetic CSV and the SDMetrics metadata, and writes
the property scores, the per-column and per-pair details, and the seconds each report took."""

import argparse
import json
import time
import warnings

import pandas as pd
from sdmetrics.reports.single_table import QualityReport


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--real", required=True)
    p.add_argument("--synthetic", required=True, nargs="+", help="NAME=PATH pairs")
    p.add_argument("--metadata", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    warnings.simplefilter("ignore")
    metadata = json.load(open(a.metadata))
    real = pd.read_csv(a.real)
    out = {}
    for item in a.synthetic:
        name, path = item.split("=", 1)
        synth = pd.read_csv(path)
        t0 = time.perf_counter()
        report = QualityReport()
        report.generate(real, synth, metadata, verbose=False)
        seconds = time.perf_counter() - t0
        props = report.get_properties().set_index("Property")["Score"].to_dict()
        shapes = report.get_details("Column Shapes")
        trends = report.get_details("Column Pair Trends")
        out[name] = {
            "seconds": seconds, "score": report.get_score(),
            "column_shapes": props["Column Shapes"], "pair_trends": props["Column Pair Trends"],
            "column_details": dict(zip(shapes["Column"], shapes["Score"])),
            "pair_details": {f"{r['Column 1']} | {r['Column 2']}": r["Score"] for _, r in trends.iterrows()},
        }
    json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
