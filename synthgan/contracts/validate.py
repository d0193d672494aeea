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
    def limit(self) -> str:
        """What the rule allows, in words (from its arguments)."""
        return allowed(self.expectation, self.kwargs)

    @property
    def measured(self) -> str:
        """What the data showed, in words."""
        return observed_text(self.observed, self.unexpected_count, self.unexpected_percent)

    @property
    def gap(self) -> float | None:
        """How far a measured number lies outside its allowed band (None when not a number)."""
        return band_gap(self.expectation, self.kwargs, self.observed, self.unexpected_percent)

    @property
    def message(self) -> str:
        where = f" on {', '.join(self.columns)}" if self.columns else ""
        unit = " percentage points" if self.kwargs.get("mostly") is not None else ""
        gap = "" if self.gap is None else f" (off by {_num(self.gap)}{unit})"
        return f"{self.expectation}{where}: observed {self.measured}; allowed {self.limit}{gap}"


def _num(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return f"{v:,}" if isinstance(v, int) else f"{v:,.4g}"


def _short_set(values, limit: int = 8) -> str:
    items = [json.dumps(v, default=str) if not isinstance(v, (list, tuple)) else
             "(" + ", ".join(json.dumps(x, default=str) for x in v) + ")" for v in values]
    more = f", ... {len(items) - limit} more" if len(items) > limit else ""
    return "{" + ", ".join(items[:limit]) + more + "}"


def allowed(expectation: str, kwargs: dict) -> str:
    """The limit a rule sets, from its arguments: a band, a set, a share of rows."""
    k = kwargs
    parts = []
    if "min_value" in k or "max_value" in k:
        lo, hi = k.get("min_value"), k.get("max_value")
        what = {"expect_column_mean_to_be_between": "mean", "expect_column_stdev_to_be_between": "standard deviation",
                "expect_column_median_to_be_between": "median", "expect_table_row_count_to_be_between": "row count",
                "expect_column_sum_to_be_between": "sum",
                "expect_column_proportion_of_non_null_values_to_be_between": "share of non-null values",
                "expect_column_unique_value_count_to_be_between": "distinct values",
                "expect_column_proportion_of_unique_values_to_be_between": "share of distinct values",
                }.get(expectation, "values")
        if lo is not None and hi is not None:
            parts.append(f"{what} between {_num(lo)} and {_num(hi)}")
        elif lo is not None:
            parts.append(f"{what} >= {_num(lo)}")
        elif hi is not None:
            parts.append(f"{what} <= {_num(hi)}")
    if "value_set" in k:
        parts.append(f"values in {_short_set(k['value_set'] or [])}")
    if "value_pairs_set" in k:
        parts.append(f"pairs in {_short_set(k['value_pairs_set'] or [], 5)}")
    if "column_set" in k:
        parts.append(f"exactly the columns {_short_set(k['column_set'] or [], 20)}")
    if "type_list" in k:
        parts.append(f"a type in {_short_set(k['type_list'] or [])}")
    if expectation == "expect_column_values_to_not_be_null":
        parts.append("non-null values")
    if expectation == "expect_column_to_exist":
        parts.append("the column present")
    if "column_A" in k and expectation.startswith("expect_column_pair_values_a_to_be_greater_than_b"):
        op = ">=" if k.get("or_equal") else ">"
        parts.append(f"{k['column_A']} {op} {k['column_B']}")
    if not parts:
        shown = {key: v for key, v in k.items() if key not in ("column", "column_A", "column_B", "result_format")}
        parts.append(json.dumps(shown, default=str) if shown else "the rule to hold")
    text = "; ".join(parts)
    if "mostly" in k and k["mostly"] is not None and k["mostly"] < 1:
        text += f" in at least {k['mostly']:.2%} of rows (at most {1 - k['mostly']:.2%} unexpected)"
    elif any(key in k for key in ("value_set", "value_pairs_set")) or expectation in (
            "expect_column_values_to_be_between", "expect_column_values_to_not_be_null",
            "expect_column_values_to_be_in_type_list") or expectation.startswith("expect_column_pair_values_a"):
        text += " in every row"
    return text


def observed_text(observed, unexpected_count: int | None, unexpected_percent: float | None) -> str:
    """What the data showed: a number, a value, or the unexpected rows with examples."""
    if unexpected_count is not None:
        text = f"{unexpected_count:,} unexpected row(s) ({unexpected_percent or 0:.2f}%)"
        examples = observed.get("unexpected_values") if isinstance(observed, dict) else None
        if examples:
            text += ", e.g. " + ", ".join(f"{json.dumps(v, default=str)} x{n}" for v, n in examples[:5])
        return text
    if isinstance(observed, float):
        return _num(observed)
    return observed if isinstance(observed, str) else json.dumps(observed, default=str)


def band_gap(expectation: str, kwargs: dict, observed, unexpected_percent: float | None) -> float | None:
    """Distance of a measured statistic outside [min_value, max_value], or of the unexpected share
    (percentage points) above what ``mostly`` allows; None when neither applies."""
    mostly = kwargs.get("mostly")
    if mostly is not None and unexpected_percent is not None:
        return max(unexpected_percent - 100.0 * (1.0 - mostly), 0.0)
    if isinstance(observed, bool) or not isinstance(observed, (int, float)):
        return None
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if isinstance(lo, (int, float)) and observed < lo:
        return float(lo - observed)
    if isinstance(hi, (int, float)) and observed > hi:
        return float(observed - hi)
    return None


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
                "failures": [{**asdict(f), "message": f.message, "measured": f.measured, "limit": f.limit,
                              "gap": f.gap} for f in self.failures], "gx_result": self.raw}


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
