"""The house rules, checked over the source tree (an ast walk, nothing imported):

- imports run one way: a module imports only from its own room (package) or from floors below;
  no import (top-level, inside a function, or only for type checkers) runs back up;
- no import circle between modules, however the imports hide;
- no private name (``_x``) is imported from another module;
- no module is over 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400

# Floors, bottom first. A module may import from its own room and from any floor below its own;
# rooms on one floor do not import each other (they are independent).
FLOORS: list[set[str]] = [
    {"errors"},                                       # every exception synthgan raises on purpose
    {"files", "threads", "outcome"},                  # ground: atomic files, thread pools, a run's outcome
    {"schema"},
    {"ingest", "transform"},
    {"models"},
    {"train"},
    {"synthesizers"},
    {"evaluate", "contracts", "publish"},
    {"request", "datasets"},
    {"steps"},
    {"pipelines"},                                    # the Prefect flows: call steps, nothing else
    {"cli"},                                          # the command: may start flows
    {"synthgan"},                                     # the package's front door (lazy exports)
]


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("synthgan", "pipelines"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _room(module: str) -> str:
    """The room of a module: its sub-package or top module under synthgan (``synthgan`` itself
    for the package's __init__), or ``pipelines``."""
    parts = module.split(".")
    if parts[0] == "pipelines":
        return "pipelines"
    return parts[1] if len(parts) > 1 else "synthgan"


def _floor(room: str) -> int:
    for i, rooms in enumerate(FLOORS):
        if room in rooms:
            return i
    raise AssertionError(f"room {room!r} is on no floor of tests/unit/test_architecture.py: give it one")


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for each synthgan/pipelines module ``node`` reads."""
    found = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in ("synthgan", "pipelines"):
                found.append((alias.name, []))
        return found
    base = node.module or ""
    if node.level:                                   # relative import
        pkg = module.split(".")
        if not MODULES[module].name == "__init__.py":
            pkg = pkg[:-1]
        pkg = pkg[: len(pkg) - node.level + 1]
        base = ".".join(pkg + ([base] if base else []))
    if base.split(".")[0] not in ("synthgan", "pipelines"):
        return found
    plain = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in MODULES:                           # `from package import module`
            found.append((sub, []))
        else:
            plain.append(alias.name)
    if plain:
        found.append((base, plain))
    return found


def _imports() -> dict[str, list[tuple[str, list[str], int]]]:
    """Every import of every module (wherever it stands in the file): (target, names, line)."""
    out = {}
    for module, path in MODULES.items():
        edges = []
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges += [(target, names, node.lineno) for target, names in _resolve(module, node)]
        out[module] = edges
    return out


IMPORTS = _imports()


def test_every_imported_module_exists():
    missing = [f"{m}:{line} imports {t}" for m, edges in IMPORTS.items() for t, _, line in edges if t not in MODULES]
    assert not missing, missing


def test_imports_run_down_the_floors_only():
    wrong = []
    for module, edges in IMPORTS.items():
        room = _room(module)
        for target, _, line in edges:
            other = _room(target)
            if other == room:
                continue
            if _floor(other) >= _floor(room):
                wrong.append(f"{MODULES[module].relative_to(ROOT)}:{line}: {room} imports {target} "
                             f"({other}, floor {_floor(other)} >= {_floor(room)})")
    assert not wrong, "imports that run up (or sideways) the floors:\n" + "\n".join(wrong)


def _circles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph``: each of two or more nodes is a circle."""
    index, low, on, stack, circles = {}, {}, set(), [], []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return circles


def test_no_import_circle():
    graph = {m: sorted({t for t, _, _ in edges if t in MODULES and t != m}) for m, edges in IMPORTS.items()}
    circles = _circles(graph)
    assert not circles, f"import circles: {circles}"


def test_no_private_name_imported_across_modules():
    wrong = [f"{MODULES[m].relative_to(ROOT)}:{line}: {name} from {target}"
             for m, edges in IMPORTS.items() for target, names, line in edges
             for name in names if name.startswith("_") and not name.startswith("__")]
    assert not wrong, wrong


def test_no_module_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_the_checker_sees_a_circle_an_upward_import_and_a_function_level_import():
    """The rules above can fail: a circle hidden in a function, an upward import, a private name."""
    assert _circles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _circles({"a": ["b"], "b": []}) == []
    tree = ast.parse("def f():\n    from synthgan.steps import tabular\n    from synthgan.errors import _x\n")
    found = [r for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for r in _resolve("synthgan.train.loop", n)]
    assert found == [("synthgan.steps.tabular", []), ("synthgan.errors", ["_x"])]
    assert _floor(_room("synthgan.steps.tabular")) > _floor(_room("synthgan.train.loop"))
