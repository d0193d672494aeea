"""Sharded generation: seeds that do not depend on who runs a shard, bounded read-back, publishing parts."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from synthgan import TabularGAN
from synthgan.errors import ConfigError
from synthgan.publish import PublishError, publish_parts, write_parquet_atomic
from synthgan.steps.shards import combined_hash, plan_shards, read_prefix, sample_shard
from tests.conftest import make_mixed


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m"
    TabularGAN(epochs=2, min_steps=0, batch_size=100, random_state=0).fit(make_mixed(300)).save(path)
    return path


def test_plan_cuts_blocks_and_seeds_depend_on_run_seed_and_index_only():
    plan = plan_shards(25, {"group": {"c": 7, "b": 0}}, run_seed=5, shard_rows=10)
    assert [(s.rows, s.offset, s.condition) for s in plan] == [
        (10, 0, None), (10, 10, None), (5, 20, None), (7, 25, ("group", "c"))]
    assert [s.index for s in plan] == [0, 1, 2, 3] and [s.part for s in plan][-1] == "part-00003.parquet"
    again = plan_shards(25, {"group": {"c": 7}}, run_seed=5, shard_rows=10)
    assert [s.seed for s in again] == [s.seed for s in plan]
    assert len({s.seed for s in plan}) == 4
    assert plan_shards(25, {}, run_seed=6, shard_rows=10)[0].seed != plan[0].seed
    with pytest.raises(ConfigError, match="shard_rows: expected a positive integer"):
        plan_shards(10, {}, 0, shard_rows=0)


def test_shards_give_the_same_rows_in_any_order(model_dir, tmp_path):
    plan = plan_shards(900, {"group": {"c": 200}}, run_seed=1, shard_rows=250)
    forward = [sample_shard(model_dir, s, tmp_path / "a") for s in plan]
    backward = [sample_shard(model_dir, s, tmp_path / "b") for s in reversed(plan)]
    assert combined_hash(forward) == combined_hash(backward)
    whole = pq.read_table(tmp_path / "a").to_pandas()
    assert len(whole) == 1100 and whole["row_id"].is_unique          # ids continue across shards
    cond = pd.read_parquet(tmp_path / "a" / plan[-1].part)
    assert len(cond) == 200 and (cond["group"] == "c").all()
    other = plan_shards(900, {"group": {"c": 200}}, run_seed=2, shard_rows=250)
    assert combined_hash([sample_shard(model_dir, s, tmp_path / "c") for s in other]) != combined_hash(forward)


def test_a_streamed_shard_holds_the_rows_of_one_sample_call(model_dir, tmp_path):
    from synthgan.publish import content_hash
    from synthgan.steps.shards import Shard
    gan = TabularGAN.load(model_dir)
    shard = Shard(index=3, rows=70_000, offset=500, seed=11)
    result = sample_shard(model_dir, shard, tmp_path)
    whole = gan.sample(70_000, random_state=11, id_offset=500)
    assert pd.concat(gan.sample_batches(70_000, random_state=11, id_offset=500), ignore_index=True).equals(whole)
    assert result["rows"] == 70_000 and result["content_hash"] == content_hash(whole)
    assert pq.ParquetFile(result["path"]).metadata.num_row_groups == 5       # 4 groups of 16,384 rows + the rest


def test_read_prefix_reads_at_most_what_is_asked(model_dir, tmp_path):
    plan = plan_shards(600, {}, run_seed=1, shard_rows=250)
    paths = [sample_shard(model_dir, s, tmp_path)["path"] for s in plan]
    head = read_prefix(paths, 300)
    full = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    assert len(head) == 300 and head.equals(full.iloc[:300].reset_index(drop=True))
    assert len(read_prefix(paths, 10_000)) == 600 and read_prefix([], 5) is None


def test_publish_parts_links_parts_and_refuses_mixed_schemas(model_dir, tmp_path):
    plan = plan_shards(300, {}, run_seed=1, shard_rows=200)
    results = [sample_shard(model_dir, s, tmp_path / "work") for s in plan]
    run = publish_parts(tmp_path / "pub", "t", "r1", [r["path"] for r in results], 300, combined_hash(results),
                        {"note": "x"})
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["rows"] == 300 and manifest["content_hash"] == combined_hash(results)
    assert set(manifest["files"]) == {"data/part-00000.parquet", "data/part-00001.parquet"}
    assert all((tmp_path / "work" / p.part).exists() for p in plan)      # sources kept: a retry can run again
    odd = write_parquet_atomic(pd.DataFrame({"a": [1]}), tmp_path / "odd" / "part-00009.parquet")
    with pytest.raises(PublishError, match="part-00009.parquet: its Arrow schema differs"):
        publish_parts(tmp_path / "pub", "t", "r2", [results[0]["path"], odd], 201, "00", {})
    assert not (tmp_path / "pub" / "t" / "r2").exists()
    assert (tmp_path / "pub" / "t" / "LATEST").read_text().strip() == "r1"


def test_every_row_of_a_shard_is_checked_for_copies_of_training_rows(model_dir, tmp_path):
    from synthgan.evaluate import QualityGates, evaluate_tabular
    from synthgan.steps.shards import Shard
    shard = Shard(index=0, rows=3000, offset=0, seed=4, condition=("group", "c"))
    first = pd.read_parquet(sample_shard(model_dir, shard, tmp_path / "a")["path"])
    # Training rows that the same shard will draw again (rows 2,500-2,599, far past any evaluated
    # sample), written with other dtypes (ints as floats, text as object) and fresh row ids.
    train = first.iloc[2500:2600].copy()
    train["count"] = train["count"].astype("float64")
    train["row_id"] = range(100)
    train = pd.concat([make_mixed(300), train], ignore_index=True)
    train.to_parquet(tmp_path / "train.parquet", index=False)
    again = sample_shard(model_dir, shard, tmp_path / "b", train=str(tmp_path / "train.parquet"))
    assert again["copies"] == 100
    assert sample_shard(model_dir, shard, tmp_path / "c")["copies"] is None     # not asked for
    # The gate judges the count over every row, not the sample the evaluation saw.
    r = evaluate_tabular(make_mixed(300), make_mixed(200, 1), first.head(300), gates=QualityGates())
    assert next(g for g in r.gates if g.name == "max_exact_copy_rate").status == "passed"
    r.privacy.exact_copies_all_rows = (100, 3000)
    gate = next(g for g in QualityGates().check(r) if g.name == "max_exact_copy_rate")
    assert gate.status == "failed" and "100 of 3,000 published rows" in gate.reason
