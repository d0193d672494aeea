"""Validate a DataFrame against a contract with a real GX ephemeral context; a typed result."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from synthgan.contracts.suite import expectation_columns, gx_context, suite_to_dict

_LOCK = threading.Lock()

# Expectations about the distribution of a column rather than a rule every row must obey: they only
# make sense on a representative sample (not on rows drawn for one class on purpose).
DISTRIBUTION_TYPES = frozenset({
    "expect_column_mean_to_be_between", "expect_column_stdev_to_be_between", "expect_column_median_to_be_between",
    "expect_column_quantile_values_to_be_between", "expect_column_sum_to_be_between",
    "expect_column_kl_divergence_to_be_less_than", "expect_column_most_common_value_to_be_in_set",
    "expect_column_proportion_of_unique_values_to_be_between", "expect_column_unique_value_count_to_be_between",
    "expect_column_proportion_of_non_null_values_to_be_between",
})


def is_distributional(config: dict) -> bool:
    """True for statistics and for null rates (``mostly`` below 1)."""
    if config["type"] in DISTRIBUTION_TYPES:
        return True
    return config["type"] == "expect_column_values_to_not_be_null" and config["kwargs"].get("mostly", 1.0) < 1.0
_BATCH = None


@dataclass
class FailedExpectation:
    """One expectation the data broke, with what was observed."""

    expectation: str
    columns: list[str]
    kwargs: dict
    observed: Any
    unexpected_count: int | None = None
    unexpected_percent: float | None = None

    @property
    def message(self) -> str:
        where = f" on {', '.join(self.columns)}" if self.columns else ""
        count = "" if self.unexpected_count is None else \
            f"; {self.unexpected_count} unexpected ({self.unexpected_percent or 0:.2f}%)"
        return f"{self.expectation}{where}: observed {self.observed!r}{count}"


@dataclass
class ContractResult:
    """The verdict of one validation: ``success`` only when every expectation held."""

    contract: str
    success: bool
    statistics: dict
    failures: list[FailedExpectation]
    raw: dict = field(repr=False, default_factory=dict)

    def to_dict(self) -> dict:
        return {"contract": self.contract, "success": self.success, "statistics": self.statistics,
                "failures": [{**asdict(f), "message": f.message} for f in self.failures], "gx_result": self.raw}


def _plain(obj: Any) -> Any:
    """JSON-safe copy (numpy numbers, timestamps and the like become numbers or text)."""
    return json.loads(json.dumps(obj, default=str))


def _batch_definition():
    global _BATCH
    if _BATCH is None:
        ctx = gx_context()
        _BATCH = (ctx.data_sources.add_pandas("synthgan").add_dataframe_asset("frame")
                  .add_batch_definition_whole_dataframe("whole"))
    return _BATCH


def validation_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain object columns: GX's type checks do not know pandas' 'str' dtype."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c].dtype) and out[c].dtype != object:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _bind_datetimes(config: dict, df: pd.DataFrame) -> dict:
    """Bounds of datetime columns are ISO text in JSON; GX compares them as timestamps."""
    col = config["kwargs"].get("column")
    if col in df.columns and pd.api.types.is_datetime64_any_dtype(df[col].dtype):
        for k in ("min_value", "max_value"):
            v = config["kwargs"].get(k)
            if isinstance(v, str):
                config["kwargs"][k] = pd.Timestamp(v)
    return config


def validate_frame(df: pd.DataFrame, suite, rules_only: bool = False) -> ContractResult:
    """Check ``df`` against ``suite`` (an ExpectationSuite, e.g. from :func:`load_suite`).

    An expectation on a column the data lacks fails with ``observed = 'column absent'`` instead
    of being sent to GX, so one missing column gives one clear failure per rule on it. With
    ``rules_only``, distribution expectations (means, deviations, null rates) are left out.
    """
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    frame = validation_frame(df)
    configs = [c for c in suite_to_dict(suite)["expectations"] if not (rules_only and is_distributional(c))]
    failures, runnable = [], []
    for c in configs:
        absent = [col for col in expectation_columns(c) if col not in frame.columns]
        if absent:
            failures.append(FailedExpectation(c["type"], expectation_columns(c), c["kwargs"],
                                              f"column absent: {', '.join(absent)}"))
        else:
            runnable.append(_bind_datetimes(c, frame))
    raw: dict = {}
    if runnable:
        with _LOCK:
            batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
            run = ExpectationSuite(name=suite.name, expectations=[
                ExpectationConfiguration(type=c["type"], kwargs=c["kwargs"], meta=c.get("meta") or {}).to_domain_obj()
                for c in runnable])
            result = batch.validate(run, result_format="SUMMARY")
        raw = _plain(result.to_json_dict())
        failures += [_failure(r) for r in raw["results"] if not r["success"]]
    total = len(configs)
    ok = total - len(failures)
    stats = {"evaluated_expectations": total, "successful_expectations": ok,
             "unsuccessful_expectations": len(failures), "success_percent": 100.0 * ok / total if total else 100.0}
    return ContractResult(suite.name, not failures, stats, failures, raw)


def _failure(r: dict) -> FailedExpectation:
    cfg = r["expectation_config"]
    kwargs = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
    res = r.get("result") or {}
    exc = r.get("exception_info") or {}
    if "observed_value" in res:
        observed = res["observed_value"]
    elif "partial_unexpected_counts" in res:
        observed = {"unexpected_values": [(x["value"], x["count"]) for x in res["partial_unexpected_counts"][:10]]}
    elif exc.get("raised_exception") or (exc and "raised_exception" not in exc):
        observed = f"error: {exc.get('exception_message') or 'GX could not compute this expectation'}"
    else:
        observed = None
    return FailedExpectation(cfg["type"], expectation_columns(cfg), kwargs, observed,
                             res.get("unexpected_count"), res.get("unexpected_percent"))
