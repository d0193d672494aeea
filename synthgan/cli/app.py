"""The `synthgan` command's application object, its consoles and the option parsers its
commands share (the commands live in :mod:`~synthgan.cli.models`, :mod:`~synthgan.cli.data` and
:mod:`~synthgan.cli.pipeline`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="synthgan: synthetic copies of real datasets with conditional GANs.")
console = Console()
err_console = Console(stderr=True)


def parse_pairs(items: list[str] | None, option: str = "--condition", what: str = "COLUMN=VALUE"
                      ) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise typer.BadParameter(f"{option} {item!r}: expected {what}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def split_list(csv: str | None) -> list[str] | None:
    return [c.strip() for c in csv.split(",") if c.strip()] if csv else None


def read_mapping(path: Path) -> dict:
    """A JSON or YAML file holding one mapping."""
    import yaml
    from synthgan.errors import ConfigError
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid JSON or YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of names to values, got {type(data).__name__}")
    return data


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split())
