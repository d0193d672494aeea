"""Scheduled requests: every request file with a ``schedule`` becomes a deployment of the flow."""

from __future__ import annotations

from pathlib import Path

from synthgan.errors import ConfigError
from synthgan.request import load_request


def request_files(path: str | Path) -> list[Path]:
    """A request file, or the ``*.yaml``/``*.yml`` files of a folder."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ConfigError(f"{path}: no such request file or folder")
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))


def build_deployments(path: str | Path) -> list:
    """One RunnerDeployment per scheduled request (named after the request, with its cron)."""
    from pipelines.synthesize import synthesize
    out = []
    for file in request_files(path):
        req = load_request(file)
        if req.schedule is None:
            continue
        out.append(synthesize.to_deployment(name=req.name, cron=req.schedule,
                                            parameters={"request_path": str(file.resolve())},
                                            tags=["synthgan", req.modality],
                                            description=f"synthgan request {file.name}"))
    names = [d.name for d in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"requests in {path} share the name(s) {dup}; deployment names must be unique")
    return out
