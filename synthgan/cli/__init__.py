"""The `synthgan` command: ``synthgan --help`` lists its commands; every error is one line on
stderr with exit status 2, a run rejected by its checks exits 1, Ctrl-C or SIGTERM 130."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from synthgan.cli import data, models, pipeline  # noqa: F401  (each registers its commands on the app)
from synthgan.cli.app import app, console, err_console, one_line
from synthgan.errors import SynthganError

__all__ = ["app", "main"]


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        from synthgan.threads import configure_threads
        configure_threads()                     # every pool of this process from SYNTHGAN_THREADS
        code = app(standalone_mode=False)       # we print errors ourselves: one line each
        code = code if isinstance(code, int) else 0
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # a torchrun worker, its process group left
            from synthgan.train.distributed import leave
            leave(code)
        sys.exit(code)
    except typer.Abort:                        # Ctrl-C outside a run
        err_console.print("[bold red]interrupted[/]", soft_wrap=True)
        sys.exit(130)
    except typer.TyperException as e:          # typer's click: bad or missing options and arguments
        if type(e).__name__ == "NoArgsIsHelpError" and getattr(e, "ctx", None) is not None:
            console.print(e.ctx.get_help())
            sys.exit(0)
        ctx = getattr(e, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        err_console.print(f"[bold red]error:[/] {escape(where + one_line(message))}", soft_wrap=True)
        sys.exit(getattr(e, "exit_code", 2) or 2)
    except SynthganError as e:
        err_console.print(f"[bold red]error:[/] {escape(one_line(e))}", soft_wrap=True)   # one line, markup-safe
        sys.exit(2)
    except Exception as e:                     # a bug or an unforeseen input: still one line, unless debugging
        if os.environ.get("SYNTHGAN_DEBUG"):
            raise
        err_console.print(f"[bold red]error:[/] unexpected {type(e).__name__}: {escape(one_line(e))} "
                          "(set SYNTHGAN_DEBUG=1 to see the traceback)", soft_wrap=True)
        sys.exit(2)
