"""The benchmark-only environment of peer libraries (CTGAN, SDMetrics): they pin pandas < 3, so
they live in their own virtual environment, bench/.venv-peers, created on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PEER_VENV = ROOT / ".venv-peers"
REQUIREMENTS = ("ctgan==0.12.1", "sdmetrics==0.32.0")


def ensure_peer_env() -> Path:
    """The peer environment's python, installing the CPU torch build and the peers when needed."""
    py = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if not marker.exists() or marker.read_text() != wanted:
        print("preparing", PEER_VENV, "(torch CPU build +", ", ".join(REQUIREMENTS) + ")", flush=True)
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
        marker.write_text(wanted)
    return py
