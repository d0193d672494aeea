"""Every request file becomes a deployment of the flow: on its cron when it has a ``schedule``,
and triggerable from the UI (or ``prefect deployment run``) either way, with a typed form of
overrides (output, rows, per-condition counts, seed) checked by the same model as the YAML."""

from __future__ import annotations

from pathlib import Path

from synthgan.errors import ConfigError, SynthganError
from synthgan.request import load_request


def request_files(path: str | Path) -> list[Path]:
    """A request file, or the ``*.yaml``/``*.yml`` files of a folder."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ConfigError(f"{path}: no such request file or folder")
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))


def build_deployments(path: str | Path, skipped: list[tuple[Path, str]] | None = None) -> list:
    """One RunnerDeployment per request (named after the request; with its cron when scheduled).

    With ``skipped`` (a list), a request file that does not validate is left out and recorded
    there as (file, error) instead of stopping the rest; without it the first such error is raised.
    """
    from pipelines.synthesize import synthesize
    out, names = [], {}
    for file in request_files(path):
        try:
            req = load_request(file)
        except SynthganError as e:
            if skipped is None:
                raise
            skipped.append((file, str(e)))
            continue
        if req.name in names:
            raise ConfigError(f"requests {names[req.name].name} and {file.name} share the name {req.name!r}; "
                              "deployment names must be unique")
        names[req.name] = file
        when = f"on cron {req.schedule!r}" if req.schedule else "when triggered (no schedule)"
        out.append(synthesize.to_deployment(
            name=req.name, cron=req.schedule, parameters={"request": str(file.resolve())},
            tags=["synthgan", req.name, req.modality],
            description=(f"synthgan request {file.name} ({req.modality}, {req.source.path.name}), runs {when}. "
                         "Optional overrides: output, rows, per_condition, seed.")))
    return out
