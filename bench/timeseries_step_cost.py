"""Seconds per generator step of TimeSeriesGAN, the design of now against the recurrent design before
the redesign (issue 28), on the same set, machine and threads, back to back in one script.

The baseline is the code at ``--baseline-commit`` (824e6e7: its defaults, a GRU generator, the
dilated critic with WGAN-GP, two critic steps a generator step, classifier guidance), checked out
with ``git worktree`` under bench/work/ (removed afterwards). Each design runs in its own child
process (two code trees cannot share one), fitting the movements set (80 series of 150 steps, as in
bench/timeseries_redesign.py) for ``--steps`` and 3x ``--steps`` generator steps with a token static
model; the difference over the extra steps is the cost of a step, free of the fixed cost.

    python bench/timeseries_step_cost.py --steps 100

writes bench/results/timeseries_step_cost.json: seconds per step of each design and their ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def child(tree: str, steps: int) -> None:
    sys.path.insert(0, tree)
    from synthgan import configure_threads
    from synthgan.datasets import movements
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    configure_threads()
    train = movements(80, seed=0)
    seconds = {}
    for n in (steps, 3 * steps):
        gan = TimeSeriesGAN(random_state=0, epochs=1, min_steps=n, static_epochs=1, static_min_steps=10)
        t0 = time.perf_counter()
        gan.fit(train, entity="series", time="step", static=["shape", "site"])
        seconds[n] = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "per_step": (seconds[3 * steps] - seconds[steps]) / (2 * steps)}))


def run(tree: Path, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(tree), "--steps", str(steps)],
                         capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--baseline-commit", default="824e6e7")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "results" / "timeseries_step_cost.json"))
    a = p.parse_args()
    if a.child:
        return child(a.child, a.steps)
    (ROOT / "work").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "work") as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), a.baseline_commit], cwd=ROOT, check=True)
        try:
            baseline = run(old, a.steps)
            now = run(ROOT.parent, a.steps)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    result = {"set": "movements, 80 series x 150 steps", "steps": [a.steps, 3 * a.steps],
              "baseline": {"commit": a.baseline_commit, "design": "GRU generator, WGAN-GP, d_steps 2, guidance",
                           **baseline},
              "now": {"design": "conv generator, SN projection critic, hinge, d_steps 1", **now},
              "speedup_per_step": baseline["per_step"] / now["per_step"]}
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
