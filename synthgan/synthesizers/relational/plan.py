"""How a :class:`RelationalGAN` walks a database: tables parents first, each child table's primary
parent (the foreign key its rows are generated under, and whose parent learns how many children a
row has) and its other parents (assigned afterwards, by matching), generated keys, and the
matching of generated parent columns to generated parent rows.

Column names of the per-table training frames: ``@<k>.<column>`` is a column of the parent of
foreign key number ``k`` (its context), ``__has_<k>`` says the key is not null, ``__n_<k>`` is
how many rows of the child of key ``k`` a row has (on the parent's frame).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from synthgan.errors import ConfigError, DataError
from synthgan.ingest.database import Database, ForeignKey


@dataclass
class TablePlan:
    """What one table's model learns and how its rows are made."""

    name: str
    columns: list[str]                     # the real table's columns, in order
    dtypes: dict[str, str]
    content: list[str]                     # learned columns (not keys)
    own_keys: list[str]                    # primary-key columns that are no foreign key: generated anew
    primary: int | None = None             # index of the foreign key rows are generated under
    secondary: list[int] = field(default_factory=list)    # other foreign keys, self-references included
    flags: list[int] = field(default_factory=list)        # foreign keys that can be null
    counts: list[int] = field(default_factory=list)       # child keys whose count per row this table learns
    reference: bool = False                # copied as it is (public lookup data), not generated

    def to_dict(self) -> dict:
        return asdict(self)


def context(k: int, col: str) -> str:
    return f"@{k}.{col}"


def has(k: int) -> str:
    return f"__has_{k}"


def count(k: int) -> str:
    return f"__n_{k}"


def table_order(db: Database) -> list[str]:
    """Parents before children; a cycle of foreign keys (self-references aside) is a ConfigError
    naming it."""
    meta, done, visiting = db.metadata, [], []

    def visit(t: str) -> None:
        if t in done:
            return
        if t in visiting:
            cycle = visiting[visiting.index(t):] + [t]
            raise ConfigError("foreign keys form a cycle: " + " -> ".join(cycle) + " (RelationalGAN needs parents "
                              "before children: drop one of these keys from the metadata, or make it a plain column)")
        visiting.append(t)
        for fk in meta.parents(t):
            if fk.parent != t:
                visit(fk.parent)
        visiting.pop()
        done.append(t)

    for t in db.tables:
        visit(t)
    return done


def make_plans(db: Database, reference: set[str]) -> dict[str, TablePlan]:
    meta = db.metadata
    fks = list(meta.foreign_keys)
    plans = {}
    for name, df in db.tables.items():
        if len(df) == 0:
            raise DataError(f"table {name} has no rows: RelationalGAN learns every table from its rows")
        keys = set(meta.primary_keys.get(name, ()))
        fk_cols = {c for fk in meta.parents(name) for c in fk.columns}
        mine = [i for i, fk in enumerate(fks) if fk.child == name]
        outer = [i for i in mine if fks[i].parent != name]
        primary = choose_primary(db, [fks[i] for i in outer])
        primary = None if primary is None else fks.index(primary)
        plans[name] = TablePlan(
            name, list(df.columns), {c: str(df[c].dtype) for c in df.columns},
            content=[c for c in df.columns if c not in keys and c not in fk_cols],
            own_keys=[c for c in meta.primary_keys.get(name, ()) if c not in fk_cols],
            primary=primary, secondary=[i for i in mine if i != primary],
            flags=[i for i in mine if df[list(fks[i].columns)].isna().any(axis=1).any()],
            reference=name in reference)
    for name, plan in plans.items():
        if plan.primary is not None:
            plans[fks[plan.primary].parent].counts.append(plan.primary)
        if plan.reference and meta.parents(name):
            raise ConfigError(f"reference table {name} has foreign keys ({[fk.name for fk in meta.parents(name)]}): "
                              "only tables without parents can be copied as reference data")
    return plans


def choose_primary(db: Database, fks: list[ForeignKey]) -> ForeignKey | None:
    """The key a child's rows are generated under: the one with the fewest nulls, then the one
    whose parent has the most rows (the finest grouping)."""
    if not fks:
        return None
    def rank(fk: ForeignKey) -> tuple:
        nulls = int(db.tables[fk.child][list(fk.columns)].isna().any(axis=1).sum())
        return nulls, -len(db.tables[fk.parent])
    return min(fks, key=rank)


def children_counts(db: Database, fk: ForeignKey) -> np.ndarray:
    """Per parent row (in its order): how many child rows name it."""
    parent, child = db.tables[fk.parent], db.tables[fk.child]
    counts = child[list(fk.columns)].dropna().value_counts()            # indexed by the key's values
    return counts.reindex(pd.MultiIndex.from_frame(parent[list(fk.parent_columns)]), fill_value=0).to_numpy(np.int64)


def new_keys(name: str, col: str, dtype: str, start: int, n: int) -> pd.Series:
    """Generated key values: integers for an integer key, else the table's name and a number."""
    ids = np.arange(start, start + n, dtype=np.int64)
    if dtype.startswith(("int", "Int", "uint")):
        return pd.Series(ids)
    return pd.Series([f"{name}-{i:07d}" for i in ids], dtype=object)


def encode(frame: pd.DataFrame, ref: pd.DataFrame) -> np.ndarray:
    """Numbers scaled by ``ref``'s spread, categories one-hot (weight 3: a wrong category costs more
    than any numeric gap), nulls as their own indicator; the same columns for both frames."""
    parts = []
    for c in ref.columns:
        r, f = ref[c], frame[c]
        if pd.api.types.is_numeric_dtype(r.dtype) and not pd.api.types.is_bool_dtype(r.dtype):
            rv = pd.to_numeric(r, errors="coerce")
            mu, sd = float(rv.mean()) if rv.notna().any() else 0.0, float(rv.std()) if rv.notna().sum() > 1 else 1.0
            fv = pd.to_numeric(f, errors="coerce")
            parts += [((fv - mu) / (sd or 1.0)).fillna(0.0).to_numpy(float)[:, None], fv.isna().to_numpy(float)[:, None]]
        else:
            cats = pd.Index(r.astype(str).unique())
            codes = cats.get_indexer(f.astype(str))
            onehot = np.zeros((len(f), len(cats) + 1))
            onehot[np.arange(len(f)), np.where(codes < 0, len(cats), codes)] = 3.0
            parts.append(onehot)
    return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def match(wanted: pd.DataFrame, parents: pd.DataFrame, rng: np.random.Generator,
          exclude: np.ndarray | None = None) -> np.ndarray:
    """For each row of ``wanted`` (generated parent columns), the position of the closest row of
    ``parents`` (same columns); random among parents when there are no columns to match on.
    ``exclude[i]`` is a position row i must not get (a self-reference: not oneself)."""
    from sklearn.neighbors import NearestNeighbors
    if len(parents) == 0:
        raise DataError("no parent rows to refer to")
    if wanted.shape[1] == 0:
        out = rng.integers(len(parents), size=len(wanted))
    else:
        x, p = encode(wanted, parents), encode(parents, parents)
        k = min(2 if exclude is not None else 1, len(parents))
        # a little noise breaks ties between identical parents at random, so children spread over them
        nn = NearestNeighbors(n_neighbors=k).fit(p + rng.normal(0, 1e-6, p.shape))
        _, idx = nn.kneighbors(x)
        out = idx[:, 0]
        if exclude is not None and k > 1:
            out = np.where(out == exclude, idx[:, 1], out)
    return out.astype(np.int64)
