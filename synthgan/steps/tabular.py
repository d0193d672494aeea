"""The pipeline's steps for ``modality: tabular``: a table in, sharded Parquet parts out (see
:mod:`synthgan.steps` for the contract every modality's steps keep)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from synthgan.errors import ConfigError
from synthgan.files import fingerprint_frame, read_json
from synthgan.ingest import read_table
from synthgan.request import SynthesisRequest
from synthgan.schema import Schema
from synthgan.steps.common import model_folder, run_context
from synthgan.steps.preflight import check_request, model_arguments


def ingest(req: SynthesisRequest, work: Path) -> dict:
    """Read and clean the source into ``work/real.parquet`` and ``work/schema.json``."""
    table = read_table(req.source.path, discrete_columns=req.discrete_columns)
    check_request(req, table.data)                  # before any work: columns, values, contract, model
    known = read_request_known(req, list(table.data.columns))
    work.mkdir(parents=True, exist_ok=True)
    table.data.to_parquet(work / "real.parquet", index=False)
    (work / "schema.json").write_text(table.schema.to_json())
    out = {"real": str(work / "real.parquet"), "schema": str(work / "schema.json"), "rows": len(table.data)}
    if known is not None:
        known.to_parquet(work / "known.parquet", index=False)
        out.update(known=str(work / "known.parquet"), known_rows=len(known))
    return out


def read_request_known(req: SynthesisRequest, columns: list[str]) -> pd.DataFrame | None:
    """The request's ``generate.known`` rows, read and cleaned like the source, after checking
    that they name only the source's columns and stay under the row ceiling (None without)."""
    if req.generate.known is None:
        return None
    from synthgan.ingest import read_known
    known = read_known(req.generate.known)
    unknown = [str(c) for c in known.columns if c not in columns]
    if unknown:
        raise ConfigError(f"generate.known: {req.generate.known}: column(s) {unknown} are not in "
                          f"{req.source.path}; columns are {columns}")
    if req.generate.total + len(known) > req.generate.max_rows:
        raise ConfigError(f"generate.known: {len(known):,} known rows on top of {req.generate.total:,} others pass "
                          f"generate.max_rows = {req.generate.max_rows:,}; raise it if you mean it")
    return known


def split(real: str, schema: str, req: SynthesisRequest, work: Path) -> dict:
    """Seeded train/holdout split, stratified on the target when it is discrete."""
    from sklearn.model_selection import train_test_split
    df = pd.read_parquet(real)
    sch = Schema.from_json(Path(schema).read_text())
    from synthgan.errors import DataError
    from synthgan.synthesizers.tabular import MIN_ROWS
    if len(df) * (1 - req.holdout_fraction) < MIN_ROWS or len(df) * req.holdout_fraction < 1:
        raise DataError(f"{req.source.path}: {len(df)} rows; a model needs at least {MIN_ROWS} training rows "
                        f"and one holdout row after holding out {req.holdout_fraction:.0%}")
    strat = None
    if req.target and sch[req.target].kind.is_discrete:
        strat = df[req.target].astype(object).fillna("(null)").astype(str)
        if strat.value_counts().min() < 2:
            strat = None
    train, hold = train_test_split(df, test_size=req.holdout_fraction, random_state=req.seed, stratify=strat)
    paths = {"train": work / "train.parquet", "holdout": work / "holdout.parquet"}
    train.reset_index(drop=True).to_parquet(paths["train"], index=False)
    hold.reset_index(drop=True).to_parquet(paths["holdout"], index=False)
    return {"train": str(paths["train"]), "holdout": str(paths["holdout"]),
            "fingerprint": fingerprint_frame(train.reset_index(drop=True))}


def fit(train: str, schema: str, req: SynthesisRequest, model_dir: Path) -> str:
    """Fit a TabularGAN on the training rows (personal-data columns removed) and save it."""
    from synthgan.synthesizers.tabular import TabularGAN
    df = pd.read_parquet(train)
    sch = Schema.from_json(Path(schema).read_text())
    if req.contract is not None:
        from synthgan.contracts import load_suite, strip_pii
        df = strip_pii(df, load_suite(req.contract))
    sch = Schema(tuple(c for c in sch.columns if c.name in df.columns))
    from synthgan.train import distributed
    gan = TabularGAN(**model_arguments(req), verbose=distributed.is_main())
    # A run killed while fitting left its training state here; the next run with the same model key
    # resumes from it (and ends with the same weights).
    gan.fit(df, schema=sch, checkpoint=model_dir.with_name(model_dir.name + ".checkpoint"))
    if distributed.is_main():                      # under torchrun, rank 0 alone writes the model
        gan.save(model_dir)
    distributed.barrier()
    return str(model_dir)


def fit_request(req: SynthesisRequest, work: Path) -> Path:
    """Fit a table request's model outside the flow (e.g. under torchrun) into the folder the flow
    looks for it: ``<output>/<name>/_models/<key>``, so the next run of the request reuses it.
    Ingest and split are those of the flow (same seed, same training rows)."""
    if req.modality != "tabular":
        raise ConfigError(f"modality: fitting a {req.modality!r} request outside the flow is not supported; "
                          "`synthgan run` fits it")
    paths = ingest(req, work)
    paths.update(split(paths["real"], paths["schema"], req, work))
    target = model_folder(req, paths["fingerprint"])
    fit(paths["train"], paths["schema"], req, target)
    return target


EVAL_ROWS = 100_000     # most rows of each kind (free, per condition) read back for the contract and evaluation


def plan(model_dir: str, train: str, req: SynthesisRequest, known: str | None = None) -> dict:
    """The request's shards (free rows first, then each per-condition block, then the rows of
    ``known``, the request's known cells as :func:`ingest` wrote them) and what they need to drop
    or fake personal data, after checking every condition and known cell against the model, so a
    bad value fails before any work is fanned out."""
    from synthgan.synthesizers.tabular import TabularGAN
    from synthgan.steps.shards import plan_shards
    gan = TabularGAN.load(model_dir, device="cpu")
    for col, counts in req.generate.per_condition.items():
        for value in counts:
            gan.sample(1, conditions={col: gan.typed_value(col, value)}, random_state=0)
    from synthgan.errors import ConditionError
    from synthgan.synthesizers.tabular.row_conditions import Condition, typed
    for i, c in enumerate(req.generate.conditions):
        try:
            gan.sample_conditions([Condition(1, typed(gan, c.values))], random_state=0)
        except ConditionError as e:
            raise ConditionError(f"generate.conditions[{i}]: {e}") from None
    known_rows = None
    if known is not None:
        import numpy as np

        from synthgan.synthesizers.tabular.row_conditions import known_codes
        frame = pd.read_parquet(known)
        try:
            known_codes(gan, frame, np.random.default_rng(0))
        except ConditionError as e:
            raise ConditionError(f"generate.known: {req.generate.known}: {e}") from None
        known_rows = (known, len(frame))
    shards = plan_shards(req.generate.rows, req.generate.per_condition, req.seed + 1, req.generate.shard_rows,
                         [(c.rows, c.values) for c in req.generate.conditions], known_rows)
    return {"shards": [s.to_dict() for s in shards], "pii": pii_spec(req, train)}


def pii_spec(req: SynthesisRequest, train: str) -> dict | None:
    """What a shard needs to drop or fake personal data (None when the contract names none)."""
    if req.contract is None:
        return None
    from synthgan.contracts import load_suite, pii_columns
    return {"suite": str(req.contract), "real": train} if pii_columns(load_suite(req.contract)) else None


def generate_shard(req: SynthesisRequest, model_dir: str, shard: dict, pii: dict | None, work: Path,
                   metadata: dict[str, str] | None = None, torch_threads: int | None = None,
                   train: str | None = None) -> dict:
    """Sample one shard (a dict of :func:`plan`) into ``work/parts/``, personal data dropped or
    faked as ``pii`` (of :func:`plan`) says; with ``train``, every row is checked for being a copy
    of a training row."""
    from synthgan.steps.shards import Shard, sample_shard
    cond = shard.get("condition")
    s = Shard(**{**shard, "condition": tuple(cond) if cond is not None else None})
    return sample_shard(model_dir, s, work / "parts", pii, metadata, torch_threads, train)


def collect(results: list[dict], train: str, req: SynthesisRequest, work: Path) -> dict:
    """Put the shards in order and read bounded samples back: as many free rows as there are
    training rows, at most EVAL_ROWS (``free.parquet``: the scores compare tables of equal size),
    and up to EVAL_ROWS rows over all per-condition blocks (``augment.parquet``)."""
    import pyarrow.parquet as pq

    from synthgan.steps.shards import combined_hash, read_prefix, release_memory
    results = sorted(results, key=lambda r: r["shard"]["index"])
    blocks: dict = {}
    for r in results:
        cond, values = r["shard"]["condition"], r["shard"].get("values")
        key = None if cond is None and values is None else json.dumps([cond, values], sort_keys=True, default=str)
        if r["shard"].get("known") is not None:
            key = "known"
        blocks.setdefault(key, []).append(r["path"])
    out = {"parts": [r["path"] for r in results], "rows": sum(r["rows"] for r in results),
           "content_hash": combined_hash(results), "workers": sorted({r["worker"] for r in results}),
           "shards": [{"file": Path(r["path"]).name, "rows": r["rows"], "condition": r["shard"]["condition"],
                       "values": r["shard"].get("values"), "seed": r["shard"]["seed"],
                       "known": r["shard"].get("known") is not None,
                       "content_hash": r["content_hash"]} for r in results],
           "free": None, "augment": None}
    if all(r.get("copies") is not None for r in results):
        out["copies"] = sum(r["copies"] for r in results)
    known = [r["known_changed"] for r in results if r.get("known_changed") is not None]
    if known:
        out["known_cells"] = {c: [sum(k[c][0] for k in known), sum(k[c][1] for k in known)] for c in known[0]}
        changed = {c: v for c, v in out["known_cells"].items() if v[0]}
        if changed:      # sample_remaining keeps them by construction: this is a defect, not a quality miss
            raise RuntimeError("generate.known: known cells changed in the generated rows (column: [changed, "
                               f"known]): {changed}; nothing is published")
    free = read_prefix(blocks.pop(None, []), min(EVAL_ROWS, pq.ParquetFile(train).metadata.num_rows))
    if free is not None:
        free.to_parquet(work / "free.parquet", index=False)
        out["free"] = str(work / "free.parquet")
    if blocks:
        per_block = max(EVAL_ROWS // len(blocks), 1)
        augment = pd.concat([read_prefix(paths, per_block) for paths in blocks.values()], ignore_index=True)
        augment.to_parquet(work / "augment.parquet", index=False)
        out["augment"] = str(work / "augment.parquet")
    out["synthetic"] = out["free"] or out["augment"]
    release_memory()
    return out


def evaluate(paths: dict, req: SynthesisRequest, work: Path, contract: dict | None = None,
             run: dict | None = None) -> dict:
    """Scores, gates and the outcome (gates and ``contract``, :func:`check_contract`'s result);
    scores.json and report.html in ``work``. Fidelity, detection, utility and privacy judge the
    freely drawn rows (the per-condition rows are skewed on purpose); the per-condition rows feed
    the augmentation lift and the report's per-condition tables. ``run``: run_id, created,
    flow_run_id for the report."""
    from synthgan.evaluate import evaluate_tabular
    from synthgan.outcome import Outcome
    train = pd.read_parquet(paths["train"])
    synth = pd.read_parquet(paths["free"] if req.generate.rows else paths["synthetic"])
    keep = [c for c in train.columns if c in synth.columns]       # dropped personal data is not scored
    augment = pd.read_parquet(paths["augment"])[keep] if paths.get("augment") else None
    result = evaluate_tabular(train[keep], pd.read_parquet(paths["holdout"])[keep], synth[keep],
                              target=req.target, gates=req.quality_gates, augment_with=augment,
                              random_state=req.seed)
    if paths.get("copies") is not None and paths.get("rows"):
        # The copy gate judges every published row (counted shard by shard), not the sample.
        result.privacy.exact_copies_all_rows = (paths["copies"], paths["rows"])
    # What the model's training spent of a DP budget: the report shows it, max_epsilon judges it.
    result.privacy.dp = read_json(Path(paths["model"]) / "manifest.json").get("privacy")
    result.gates = req.quality_gates.check(result)
    outcome = Outcome.judge(result.gates, contract)
    written = result.write(work, title=f"synthgan: {req.name}",
                           run=run_context(req, paths, contract, run, outcome, augment))
    p = result.privacy
    headline = [{"measure": "fidelity score", "value": result.fidelity.score},
                {"measure": "detection AUC", "value": result.detection_auc},
                {"measure": "utility ratio", "value": result.utility.ratio if result.utility else None},
                {"measure": "DCR ratio (p5)", "value": p.dcr_p5_ratio},
                {"measure": "exact-copy rate", "value": p.exact_copy_rate},
                {"measure": "membership AUC", "value": p.mia_auc}]
    return {"passed": result.passed, "scores": result.to_dict(), "report": str(written["report"]),
            "failed_gates": [g.reason for g in result.failed_gates], "headline": headline,
            "outcome": outcome.to_dict()}




def publish(req: SynthesisRequest, run_id: str, paths: dict, manifest: dict, report: Path) -> Path:
    """Publish the shards' parts (already written, in order) as one run, all-or-nothing."""
    from synthgan.publish import publish_parts
    return publish_parts(req.output, req.name, run_id, paths["parts"], paths["rows"], paths["content_hash"],
                         manifest, report)
