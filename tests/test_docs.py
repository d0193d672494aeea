"""The docs cannot drift from the code.

- ``mkdocs build --strict`` builds the site (docs/ and the API reference generated from the
  docstrings): a broken link, a missing page or a stale API name fails it.
- Every ```python block of README.md and docs/ runs, page by page in one namespace (as a reader
  pastes them in order), in a scratch copy of the repository's layout (``../shared`` beside it,
  ``requests/`` and ``data_contracts/`` in it), so the examples run as written.
- Every ```bash line that starts a ``synthgan`` command names a real command and real options;
  a benchmark command names a script that exists and options it takes; ``make`` a real target.
- Every ```yaml block that is a request loads as one (pydantic validation, paths resolved).
``` ```text `` blocks are output or layout and are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def _blocks(page: Path, lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(page.read_text(encoding="utf-8")) if m.group(1) == lang]


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _scratch(tmp: Path) -> Path:
    """``tmp/work``: where a reader stands (the repository root), with ``../shared`` beside it."""
    work = tmp / "work"
    (work / "requests").mkdir(parents=True)
    (tmp / "shared").symlink_to(ROOT.parent / "shared")
    (work / "data_contracts").symlink_to(ROOT / "data_contracts")
    (work / "requests" / "data").symlink_to(ROOT / "requests" / "data")
    for p in (ROOT / "requests").glob("*.yaml"):
        (work / "requests" / p.name).symlink_to(p)
    return work


def test_the_site_builds_strictly(tmp_path):
    """Warnings are errors (``strict: true`` in mkdocs.yml and ``--strict`` here)."""
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "synthesizers" / "index.html").is_file()


def test_the_readme_is_one_screen_or_two():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the rest belongs in docs/"


PY_PAGES = [p for p in PAGES if _blocks(p, "python")]


@pytest.mark.parametrize("page", PY_PAGES, ids=_name)
def test_python_examples_run(page, tmp_path, monkeypatch):
    work = _scratch(tmp_path)
    monkeypatch.chdir(work)
    namespace: dict = {"__name__": f"docs:{_name(page)}"}
    for i, code in enumerate(_blocks(page, "python")):
        try:
            exec(compile(code, f"{_name(page)} python block {i + 1}", "exec"), namespace)
        except Exception as e:       # name the page and the block, with the code that failed
            raise AssertionError(f"{_name(page)}, python block {i + 1} failed: {type(e).__name__}: {e}\n{code}") from e


def _shell_lines(code: str) -> list[str]:
    """Logical lines (continuations joined), comments and prompts dropped."""
    out, current = [], ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        text = current.split(" #")[0].strip() if not current.lstrip().startswith("#") else ""
        if text:
            out.append(text.removeprefix("$ "))
        current = ""
    return out


def _click_command():
    import typer

    from synthgan.cli import app
    return typer.main.get_command(app)


def _check_synthgan(words: list[str], root) -> str | None:
    """None when ``synthgan <words>`` names a real (sub)command and only options it takes."""
    cmd, rest = root, list(words)
    while hasattr(cmd, "commands") and rest and not rest[0].startswith("-"):      # a group (typer's or click's)
        name = rest.pop(0)
        if name not in cmd.commands:
            return f"no command {name!r} (commands: {sorted(cmd.commands)})"
        cmd = cmd.commands[name]
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
    for w in rest:
        flag = w.split("=", 1)[0]
        if flag.startswith("--") and flag not in known:
            return f"{cmd.name}: no option {flag} (options: {sorted(known)})"
    return None


def _check_line(line: str, root) -> str | None:
    try:
        words = shlex.split(line)
    except ValueError as e:
        return f"cannot split {line!r}: {e}"
    while words and re.match(r"^[A-Z_]+=", words[0]):           # VAR=value command ...
        words.pop(0)
    if not words:
        return None
    if words[0] in ("synthgan", ".venv/bin/synthgan"):
        return _check_synthgan(words[1:], root)
    if "-m" in words and "synthgan.cli" in words:                # torchrun ... -m synthgan.cli fit ...
        return _check_synthgan(words[words.index("synthgan.cli") + 1:], root)
    if words[0] in ("python", "python3", ".venv/bin/python") and len(words) > 1 and words[1].endswith(".py"):
        script = ROOT / words[1]
        if not script.is_file():
            return f"no script {words[1]}"
        text = script.read_text()
        missing = [w for w in words[2:] if w.startswith("--") and f'"{w.split("=")[0]}"' not in text]
        return f"{words[1]} takes no option(s) {missing}" if missing else None
    if words[0] == "make":
        targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
        missing = [t for t in words[1:] if "=" not in t and t not in targets]
        return f"no make target(s) {missing}" if missing else None
    return None


def test_shell_commands_name_real_commands_and_options():
    root = _click_command()
    wrong = [f"{_name(page)}: {line}: {why}" for page in PAGES for code in _blocks(page, "bash")
             for line in _shell_lines(code) if (why := _check_line(line, root))]
    assert not wrong, "\n".join(wrong)


def test_the_shell_check_can_fail():
    root = _click_command()
    assert _check_line("synthgan sample models/m -n 5 --bogus 1", root)
    assert _check_line("synthgan nonsense", root)
    assert _check_line("make nothing-here", root)
    assert _check_line(".venv/bin/python bench/no_such.py", root)
    assert _check_line("synthgan sample models/m -n 5 -o x.parquet --seed 1", root) is None


def test_request_examples_load(tmp_path):
    from synthgan.request import load_request
    work = _scratch(tmp_path)
    checked = 0
    for page in PAGES:
        for i, code in enumerate(_blocks(page, "yaml")):
            if not re.search(r"^name:", code, re.M):
                continue
            path = work / "requests" / f"doc-{page.stem}-{i}.yaml"
            path.write_text(code)
            try:
                load_request(path)
            except Exception as e:
                raise AssertionError(f"{_name(page)}, yaml block {i + 1} is not a valid request: {e}\n{code}") from e
            checked += 1
    assert checked >= 2, "the README's request and the pipeline page's are checked"
    assert os.path.isdir(work / "data_contracts")
