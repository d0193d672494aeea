"""Databases of related tables: reading keys from real SQLite and PostgreSQL databases, writing a
database back with its constraints, and RelationalGAN's keys, counts, conditions and folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthgan.errors import ConditionError, ConfigError, DataError, OutputError, SchemaError
from synthgan.ingest.database import Database, Metadata, dangling, read_database
from synthgan.publish.database import write_database

TINY = dict(epochs=2, min_steps=40, random_state=0, device="cpu")


def shop(n_customers: int = 120, seed: int = 0) -> dict[str, pd.DataFrame]:
    """customers -> orders -> lines <- products (lines: a composite key and two parents), and
    employees whose manager is another employee (a self-reference). Business customers place
    about three times as many orders as retail ones."""
    rng = np.random.default_rng(seed)
    cust = pd.DataFrame({"customer_id": np.arange(n_customers),
                         "segment": rng.choice(["retail", "business"], n_customers, p=[0.7, 0.3])})
    k = np.where(cust["segment"] == "business", rng.poisson(6, n_customers), rng.poisson(2, n_customers))
    orders = pd.DataFrame({"order_id": np.arange(k.sum()), "customer_id": np.repeat(cust["customer_id"], k).to_numpy(),
                           "amount": rng.gamma(2.0, 20.0, k.sum()).round(2)})
    products = pd.DataFrame({"product_id": np.arange(20), "category": rng.choice(["tools", "food"], 20)})
    m = rng.integers(1, 4, len(orders))
    lines = pd.DataFrame({"order_id": np.repeat(orders["order_id"], m).to_numpy(),
                          "line": np.concatenate([np.arange(i) for i in m]),
                          "product_id": rng.integers(0, 20, m.sum()), "qty": rng.integers(1, 5, m.sum())})
    emp = pd.DataFrame({"emp_id": np.arange(30), "level": ["ceo"] + ["manager"] * 5 + ["staff"] * 24})
    emp["manager_id"] = pd.array([None] + [0] * 5 + list(rng.integers(1, 6, 24)), dtype="Int64")
    return {"customers": cust, "orders": orders, "products": products, "lines": lines, "employees": emp}


def create_shop(url: str, frames: dict[str, pd.DataFrame]) -> None:
    """The shop's tables with real primary and foreign key constraints, then its rows."""
    md = sa.MetaData()
    sa.Table("customers", md, sa.Column("customer_id", sa.Integer, primary_key=True), sa.Column("segment", sa.Text))
    sa.Table("orders", md, sa.Column("order_id", sa.Integer, primary_key=True),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.customer_id")), sa.Column("amount", sa.Float))
    sa.Table("products", md, sa.Column("product_id", sa.Integer, primary_key=True), sa.Column("category", sa.Text))
    sa.Table("lines", md, sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.order_id"), primary_key=True),
             sa.Column("line", sa.Integer, primary_key=True),
             sa.Column("product_id", sa.Integer, sa.ForeignKey("products.product_id")), sa.Column("qty", sa.Integer))
    sa.Table("employees", md, sa.Column("emp_id", sa.Integer, primary_key=True), sa.Column("level", sa.Text),
             sa.Column("manager_id", sa.Integer, sa.ForeignKey("employees.emp_id"), nullable=True))
    engine = sa.create_engine(url)
    md.create_all(engine)
    with engine.begin() as conn:
        for name in ("customers", "orders", "products", "lines", "employees"):
            frames[name].to_sql(name, conn, if_exists="append", index=False)
    engine.dispose()


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    create_shop(url, shop())
    return url


@pytest.fixture(scope="module")
def shop_gan(shop_db):
    from synthgan import RelationalGAN
    return RelationalGAN(**TINY).fit(read_database(shop_db))


def integrity(db: Database) -> None:
    """Every primary key unique and not null; every non-null foreign key names a parent row."""
    for name, cols in db.metadata.primary_keys.items():
        if cols:
            t = db.tables[name]
            assert not t.duplicated(list(cols)).any() and t[list(cols)].notna().all().all(), name
    for fk in db.metadata.foreign_keys:
        assert not dangling(db, fk).any(), fk.name


# ----------------------------------------------------------------------------- reading
def test_keys_are_reflected_from_the_database_itself(shop_db):
    db = read_database(shop_db)
    meta = db.metadata
    assert meta.primary_keys["lines"] == ("order_id", "line")            # composite
    names = {fk.name for fk in meta.foreign_keys}
    assert names == {"orders(customer_id) -> customers(customer_id)", "lines(order_id) -> orders(order_id)",
                     "lines(product_id) -> products(product_id)", "employees(manager_id) -> employees(emp_id)"}
    assert db.unresolved == [] and len(db.tables["lines"]) == len(shop()["lines"])
    only = read_database(shop_db, tables=["customers", "orders"])
    assert set(only.tables) == {"customers", "orders"} and len(only.metadata.foreign_keys) == 1


def test_unresolved_foreign_keys_are_counted_and_handled_by_the_stated_policy(tmp_path):
    """A folder has no constraints: the metadata names them. Two orders name a customer who does
    not exist; the policy nulls them (default), drops them (and their lines), or keeps the column
    as a plain one."""
    frames = shop(40)
    frames["orders"].loc[[0, 1], "customer_id"] = 999
    for name in ("customers", "orders", "lines"):
        frames[name].to_csv(tmp_path / f"{name}.csv", index=False)
    meta = {"primary_keys": {"customers": "customer_id", "orders": "order_id", "lines": ["order_id", "line"]},
            "foreign_keys": [{"child": "orders", "columns": "customer_id", "parent": "customers"},
                             {"child": "lines", "columns": ["order_id"], "parent": "orders"}]}
    nulled = read_database(tmp_path, metadata=meta)
    assert nulled.unresolved == [{"foreign_key": "orders(customer_id) -> customers(customer_id)", "rows": 2,
                                  "of_rows": len(frames["orders"]), "distinct_values": 1, "examples": [["999"]],
                                  "policy": "null"}]
    assert nulled.tables["orders"]["customer_id"].isna().sum() == 2
    dropped = read_database(tmp_path, metadata=meta, unresolved="drop")
    gone = frames["lines"]["order_id"].isin([0, 1]).sum()
    assert len(dropped.tables["orders"]) == len(frames["orders"]) - 2
    assert len(dropped.tables["lines"]) == len(frames["lines"]) - gone and gone > 0
    integrity(dropped)
    kept = read_database(tmp_path, metadata=meta, unresolved="keep")
    assert len(kept.metadata.foreign_keys) == 1 and (kept.tables["orders"]["customer_id"] == 999).sum() == 2
    (tmp_path / "meta.yaml").write_text("primary_keys: {customers: [customer_id]}\n")
    assert read_database(tmp_path, metadata=tmp_path / "meta.yaml").metadata.primary_keys["customers"] == ("customer_id",)


def test_bad_databases_are_clear_errors(tmp_path, shop_db):
    with pytest.raises(DataError, match=r"not a database URL"):
        read_database(tmp_path / "missing.db")
    with pytest.raises(DataError, match=r"not a usable database URL"):
        read_database("nosuchdialect://x/y")
    with pytest.raises(DataError, match=r"cannot read the database"):
        read_database(f"sqlite:///{tmp_path / 'no-folder' / 'x.db'}")
    empty = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{empty}").connect().close()
    with pytest.raises(DataError, match=r"the database has no tables"):
        read_database(f"sqlite:///{empty}")
    with pytest.raises(DataError, match=r"no table\(s\) \['invoices'\]"):
        read_database(shop_db, tables=["invoices"])
    with pytest.raises(SchemaError, match=r"primary key: no column\(s\) \['nope'\]"):
        read_database(shop_db, metadata={"primary_keys": {"customers": ["nope"]}})
    with pytest.raises(SchemaError, match=r"unresolved: expected one of"):
        read_database(shop_db, unresolved="ignore")
    frames = shop(20)
    frames["customers"]["customer_id"] = np.nan
    frames["customers"].to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(DataError, match=r"customer_id.*entirely null"):
        read_database(tmp_path, metadata={"primary_keys": {"customers": "customer_id"}})


# ----------------------------------------------------------------------------- the model
def test_generated_keys_are_unique_and_every_foreign_key_resolves(shop_gan):
    syn = shop_gan.sample(random_state=1)
    integrity(syn)
    real = shop()
    assert set(syn.tables) == set(real) and all(list(syn.tables[t].columns) == list(real[t].columns) for t in real)
    emp = syn.tables["employees"]
    assert (emp["manager_id"].dropna() != emp.loc[emp["manager_id"].notna(), "emp_id"]).all()   # nobody manages themself
    lines = syn.tables["lines"]                                          # a line number within each order
    assert (lines.groupby("order_id")["line"].min() == 0).all()
    double = shop_gan.sample(scale=2.0, random_state=1)
    integrity(double)
    assert len(double.tables["customers"]) == 2 * len(real["customers"])


def test_conditions_at_the_root_hold_down_the_tree(shop_gan):
    syn = shop_gan.sample(conditions={"customers": {"segment": "business"}}, random_state=2)
    assert set(syn.tables["customers"]["segment"]) == {"business"}
    assert syn.tables["orders"]["customer_id"].isin(syn.tables["customers"]["customer_id"]).all()
    with pytest.raises(ConditionError, match=r"only tables without parents take conditions"):
        shop_gan.sample(conditions={"orders": {"amount": 3.0}})
    with pytest.raises(ConditionError, match=r"'customer_id' is its primary key, generated anew"):
        shop_gan.sample(conditions={"customers": {"customer_id": 3}})
    with pytest.raises(ConditionError, match=r"no table 'invoices'"):
        shop_gan.sample(conditions={"invoices": {}})


def test_the_folder_loads_and_samples_the_same_database(shop_gan, tmp_path):
    from synthgan import RelationalGAN
    shop_gan.save(tmp_path / "m")
    again = RelationalGAN.load(tmp_path / "m").sample(random_state=5)
    first = shop_gan.sample(random_state=5)
    assert all(again.tables[t].equals(first.tables[t]) for t in first.tables)
    assert not list((tmp_path / "m").rglob("*.pkl")) and not list((tmp_path / "m").rglob("*.pt"))


def test_a_cycle_an_empty_child_and_a_bad_reference_are_refused(shop_db):
    from synthgan import RelationalGAN
    db = read_database(shop_db, tables=["customers", "orders"])
    cyclic = read_database(shop_db, tables=["customers", "orders"], metadata={
        "primary_keys": {"customers": "customer_id"},
        "foreign_keys": [{"child": "customers", "columns": "customer_id", "parent": "orders",
                          "parent_columns": "order_id"}]})
    with pytest.raises(ConfigError, match=r"foreign keys form a cycle: (customers -> orders -> customers|orders -> customers -> orders)"):
        RelationalGAN(**TINY).fit(cyclic)
    empty = Database({"customers": db.tables["customers"], "orders": db.tables["orders"].iloc[:0]}, db.metadata)
    with pytest.raises(DataError, match=r"table orders has no rows"):
        RelationalGAN(**TINY).fit(empty)
    with pytest.raises(ConfigError, match=r"reference_tables: no table\(s\) \['airlines'\]"):
        RelationalGAN(reference_tables=["airlines"], **TINY).fit(db)


# ----------------------------------------------------------------------------- writing back
def test_write_database_creates_the_constraints_and_the_database_checks_them(shop_gan, tmp_path):
    syn = shop_gan.sample(random_state=3)
    url = write_database(syn, tmp_path / "copy.db")
    back = read_database(url)
    assert back.metadata.primary_keys == syn.metadata.primary_keys
    assert {fk.name for fk in back.metadata.foreign_keys} == {fk.name for fk in syn.metadata.foreign_keys}
    with sa.create_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    assert all(len(back.tables[t]) == len(syn.tables[t]) for t in syn.tables)
    with pytest.raises(OutputError, match=r"exists"):
        write_database(syn, tmp_path / "copy.db")
    broken = Database(dict(syn.tables), syn.metadata)
    broken.tables["orders"] = broken.tables["orders"].assign(customer_id=10_000)
    with pytest.raises(DataError, match=r"refused the rows.*nothing was written"):
        write_database(broken, tmp_path / "broken.db")
    assert not list(tmp_path.glob("*broken*"))                          # nothing half-written


# ----------------------------------------------------------------------------- PostgreSQL, for real
def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server (the Debian package's binaries) on a Unix socket in a fresh
    folder, stopped and removed after."""
    import tempfile
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="synthgan-pg-"))
    user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []   # initdb refuses to run as root
    if user:
        os.chown(root, 65534, 65534)
    data = root / "data"

    def run(*args: str) -> None:
        proc = subprocess.run([*user, *args], capture_output=True, text=True)
        assert proc.returncode == 0, f"{args[0]} failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
            f"-k {root} -p 55433 -c listen_addresses=''", "start")
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port=55433"
    finally:
        subprocess.run([*user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_round_trip_reflects_the_same_keys(postgres, shop_gan):
    create_shop(postgres, shop(40))
    db = read_database(postgres)
    assert db.metadata.primary_keys["lines"] == ("order_id", "line")
    assert len(db.metadata.foreign_keys) == 4 and db.unresolved == []
    engine = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")      # CREATE DATABASE: outside a transaction
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE copy")
    engine.dispose()
    target = postgres.replace("/postgres?", "/copy?")
    syn = shop_gan.sample(random_state=4)
    write_database(syn, target)
    back = read_database(target)
    assert {fk.name for fk in back.metadata.foreign_keys} == {fk.name for fk in syn.metadata.foreign_keys}
    assert all(len(back.tables[t]) == len(syn.tables[t]) for t in syn.tables)
    with pytest.raises(OutputError, match=r"holds tables"):
        write_database(syn, target)


def test_a_composite_key_sharing_a_column_with_another_key_keeps_both(tmp_path):
    """flights -> airports (origin) and flights -> weather (origin, hour), weather -> airports:
    the weather row a flight gets is at the flight's own origin; a reference table is copied, and
    its children's counts per row are its real ones, scaled."""
    from synthgan import RelationalGAN
    rng = np.random.default_rng(0)
    airports = pd.DataFrame({"faa": ["EWR", "JFK", "LGA", "BOS"], "alt": [18, 13, 22, 19]})
    weather = pd.DataFrame({"origin": np.repeat(["EWR", "JFK", "LGA"], 30), "hour": np.tile(np.arange(30), 3)})
    weather["temp"] = rng.normal(10, 5, len(weather)).round(1)
    n = 300
    flights = pd.DataFrame({"flight": np.arange(n), "origin": rng.choice(["EWR", "JFK", "LGA"], n, p=[0.5, 0.3, 0.2]),
                            "hour": rng.integers(0, 30, n), "delay": rng.exponential(10, n).round(0)})
    meta = {"primary_keys": {"airports": "faa", "weather": ["origin", "hour"], "flights": "flight"},
            "foreign_keys": [{"child": "weather", "columns": "origin", "parent": "airports"},
                             {"child": "flights", "columns": "origin", "parent": "airports"},
                             {"child": "flights", "columns": ["origin", "hour"], "parent": "weather"}]}
    db = Database({"airports": airports, "weather": weather, "flights": flights}, Metadata.from_dict(meta))
    gan = RelationalGAN(reference_tables=["airports"], **TINY).fit(db)
    syn = gan.sample(random_state=0)
    integrity(syn)
    assert syn.tables["airports"].equals(airports)
    # weather's parent is the reference table: its real counts per airport, kept at scale 1; flights
    # are generated under their weather row (the larger parent), whose model learned their count
    assert gan.plans_["flights"].primary == 2 and gan.plans_["weather"].primary == 0
    assert syn.tables["weather"]["origin"].value_counts().to_dict() == {"EWR": 30, "JFK": 30, "LGA": 30}
    f = syn.tables["flights"].dropna(subset=["hour"])
    w = syn.tables["weather"].set_index(["origin", "hour"])
    assert len(f) and pd.MultiIndex.from_frame(f[["origin", "hour"]]).isin(w.index).all()
    only = gan.sample(conditions={"airports": {"faa": "JFK"}}, random_state=0)
    assert set(only.tables["flights"]["origin"]) == {"JFK"} and set(only.tables["weather"]["origin"]) == {"JFK"}
