"""A synthesis request: what a data team asks for, as a short YAML file validated by pydantic.

```yaml
name: adult-income
modality: tabular
source: {path: ../shared/datasets/adult.csv}
target: income
model: {preset: fast, epochs: 30}
generate: {rows: 10000, per_condition: {income: {">50K": 5000}}}
contract: data_contracts/adult.json
gates: {max_detection_auc: 0.99}
output: published
schedule: "0 3 * * 1"      # optional cron: `synthgan serve` runs it
executor: {kind: dask, workers: 2}   # optional: where generation shards run (default: local)
seed: 0
```

Relative paths are resolved against the request file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synthgan.errors import ConfigError
from synthgan.evaluate.gates import ImageGates, QualityGates, SeriesGates

# "default" is TabularGAN's own defaults (300 epochs and at least 6,000 optimiser steps, batch 500);
# the others change only the training budget.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"epochs": 30, "min_steps": 1000},
    "default": {},
    "quality": {"epochs": 600, "min_steps": 12000},
}


GATES = {"tabular": QualityGates, "timeseries": SeriesGates, "image": ImageGates}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    path: Path
    format: Literal["auto", "csv", "parquet"] = "auto"


class ModelSpec(_Strict):
    """A preset and any TabularGAN hyperparameters that override it."""

    preset: Literal["fast", "default", "quality"] = "default"
    epochs: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=2)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)

    def resolved(self) -> dict[str, Any]:
        out = dict(PRESETS[self.preset])
        out.update({k: v for k, v in (("epochs", self.epochs), ("batch_size", self.batch_size)) if v is not None})
        out.update(self.hyperparameters)
        return out


# Request row ceiling, and the rates the refusal quotes (Adult's 15 columns: 299 MB of Parquet for
# 20 million rows; ~44,000 rows a second a worker in bench/scaleout_generation.py).
MAX_ROWS = 100_000_000
BYTES_PER_ROW = 15
ROWS_PER_SECOND = 44_000


class ConditionSpec(_Strict):
    """``rows`` rows that all meet ``values``: column -> a value, or ``[low, high]`` for a numeric
    or datetime column (bounds included, ``null`` for an open end)."""

    rows: int = Field(..., ge=0)
    values: dict[str, Any]

    @field_validator("values")
    @classmethod
    def _values(cls, v: dict[str, Any]) -> dict[str, Any]:
        if not v:
            raise ValueError("values: name at least one column")
        for col, value in v.items():
            if isinstance(value, (list, tuple)) and (len(value) != 2 or all(b is None for b in value)):
                raise ValueError(f"values.{col}: a range is [low, high] with null for one open end, got {value!r}")
            if isinstance(value, dict):
                raise ValueError(f"values.{col}: expected a value or [low, high], got a mapping")
        return v


class GenerateSpec(_Strict):
    """``rows`` drawn freely, plus ``per_condition[column][value]`` rows with that exact value, plus
    the groups of ``conditions`` (values and numeric ranges, several columns at once)."""

    rows: int = Field(10_000, ge=0)
    per_condition: dict[str, dict[str, int]] = Field(default_factory=dict)
    conditions: list[ConditionSpec] = Field(default_factory=list)
    # rows with some cells known (CSV/Parquet): one row out per row in, known cells kept, empty ones generated
    known: Path | None = None
    shard_rows: int = Field(250_000, ge=1)      # tabular rows are generated and published in shards of this size

    @field_validator("per_condition")
    @classmethod
    def _counts(cls, v: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for col, counts in v.items():
            for value, n in counts.items():
                if n < 0:
                    raise ValueError(f"per_condition.{col}.{value}: row count must be >= 0, got {n}")
        return v

    max_rows: int = Field(MAX_ROWS, ge=1)       # the ceiling on rows + per_condition rows; raise it on purpose

    @property
    def total(self) -> int:
        return (self.rows + sum(n for counts in self.per_condition.values() for n in counts.values())
                + sum(c.rows for c in self.conditions))

    @property
    def conditioned(self) -> bool:
        """Whether any rows are generated under a condition (known cells included)."""
        return bool(self.per_condition or self.conditions or self.known)

    @model_validator(mode="after")
    def _ceiling(self) -> "GenerateSpec":
        if self.total > self.max_rows:
            gb, hours = self.total * BYTES_PER_ROW / 1e9, self.total / ROWS_PER_SECOND / 3600
            raise ValueError(f"rows: {self.total:,} rows asked for, above the ceiling generate.max_rows = "
                             f"{self.max_rows:,}; that would be about {gb:,.1f} GB of Parquet and {hours:,.1f} hours "
                             f"on one core (at ~{BYTES_PER_ROW} bytes and {ROWS_PER_SECOND:,} rows a second, as "
                             "measured on Adult); raise generate.max_rows if you mean it")
        return self


class SeriesSpec(_Strict):
    """Long-format time series: which column is the entity, which the time, which are static."""

    entity: str
    time: str
    static: list[str] = Field(default_factory=list)
    features: list[str] | None = None


class ImageSpec(_Strict):
    """How images are read: ``resize`` every image to a square of that side (8 to 64 pixels);
    without it, all images must share one size."""

    resize: int | None = Field(None, ge=8, le=64)


class ExecutorSpec(_Strict):
    """Where the generation shards run: ``local`` (in the flow's process, one at a time) or ``dask``
    (a LocalCluster of ``workers`` processes started for the run, or the scheduler at ``address``).
    Dask needs a Prefect server (``make server``; PREFECT_API_URL)."""

    kind: Literal["local", "dask"] = "local"
    address: str | None = None
    workers: int = Field(2, ge=1, le=256)

    @model_validator(mode="after")
    def _address(self) -> "ExecutorSpec":
        if self.address is not None and self.kind != "dask":
            raise ValueError("address: only used with kind: dask")
        return self


def check_name(v: str) -> str:
    """A request or contract name: it names folders, files, Prefect deployments and artifact keys.
    Letters, digits, '-', '_' and '.' (ASCII), not starting with '.' and without '..'."""
    if "/" in v or "\\" in v or ".." in v or v.startswith("."):
        raise ValueError(f"{v!r} must not contain a path separator or '..' or start with '.'")
    bad = sorted({ch for ch in v if not (ch.isascii() and (ch.isalnum() or ch in "-_."))})
    if bad or not v:
        raise ValueError(f"{v!r}: use ASCII letters, digits, '-', '_' and '.' only (found {bad or 'nothing'})")
    return v


class SynthesisRequest(_Strict):
    name: str = Field(min_length=1, max_length=100)
    modality: Literal["tabular", "timeseries", "image"]
    source: SourceSpec
    target: str | None = None
    discrete_columns: list[str] | None = None
    series: SeriesSpec | None = None
    images: ImageSpec = Field(default_factory=ImageSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    generate: GenerateSpec = Field(default_factory=GenerateSpec)
    contract: Path | None = None
    gates: dict[str, float | None] = Field(default_factory=dict)
    output: Path = Path("published")
    schedule: str | None = None
    seed: int = Field(0, ge=0)
    holdout_fraction: float = Field(0.2, gt=0.0, lt=0.9)
    # differential privacy of the training: {epsilon, delta} (max_grad_norm, accountant optional);
    # see synthgan.train.private. Sets the max_epsilon gate to epsilon unless the gates name it.
    privacy: dict[str, Any] | None = None

    @field_validator("privacy")
    @classmethod
    def _privacy(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        from synthgan.train.private import PrivacySpec
        try:
            spec = PrivacySpec.parse(v, "privacy")
        except ConfigError as e:
            raise ValueError(str(e).removeprefix("privacy: ").removeprefix("privacy.")) from None
        return None if spec is None else spec.to_dict()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        return check_name(v)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None:
            from prefect.client.schemas.schedules import CronSchedule
            try:
                CronSchedule(cron=v)
            except ValidationError:
                raise ValueError(f"{v!r} is not a valid cron expression (e.g. '0 3 * * 1')") from None
        return v

    @model_validator(mode="after")
    def _gates_and_series(self) -> "SynthesisRequest":
        try:
            GATES[self.modality].from_dict(self.gates)
        except ConfigError as e:
            raise ValueError(f"gates: {e}") from None
        if self.modality == "timeseries" and self.series is None:
            raise ValueError("series: a timeseries request needs series: {entity, time, static, features}")
        if self.generate.conditions and self.modality != "tabular":
            raise ValueError(f"generate.conditions: groups of values and ranges are for tabular requests; a "
                             f"{self.modality} request takes generate.per_condition")
        if self.privacy is not None and self.modality == "image":
            raise ValueError("privacy: differentially private training is for tabular and timeseries requests; an "
                             "image model has no DP training yet")
        if self.privacy is not None and "privacy" in self.model.hyperparameters:
            raise ValueError("model.hyperparameters.privacy: give the budget once, as the request's privacy field")
        if self.generate.known is not None and self.modality != "tabular":
            raise ValueError(f"generate.known: rows with known cells are for tabular requests, not {self.modality}")
        return self

    @model_validator(mode="after")
    def _files(self) -> "SynthesisRequest":
        if self.contract is not None and not self.contract.is_file():
            raise ValueError(f"contract: file {self.contract} not found")
        if not self.source.path.exists():
            raise ValueError(f"source.path: {self.source.path} not found")
        if self.generate.known is not None and not self.generate.known.exists():
            raise ValueError(f"generate.known: {self.generate.known} not found")
        if self.output.exists() and not self.output.is_dir():
            raise ValueError(f"output: {self.output} is a file; expected a folder to publish into")
        return self

    def _gates_with_budget(self) -> dict:
        gates = dict(self.gates)
        if self.privacy is not None and "max_epsilon" not in gates:
            gates["max_epsilon"] = self.privacy["epsilon"]      # a DP request publishes only DP-trained runs
        return gates

    @property
    def quality_gates(self) -> QualityGates:
        return QualityGates.from_dict(self._gates_with_budget())

    @property
    def series_gates(self) -> SeriesGates:
        return SeriesGates.from_dict(self._gates_with_budget())

    @property
    def image_gates(self) -> ImageGates:
        return ImageGates.from_dict(self.gates)


def _resolve(data: dict, base: Path) -> dict:
    """Relative paths in the request are relative to the request file."""
    out = dict(data)
    if isinstance(out.get("source"), dict) and "path" in out["source"]:
        out["source"] = {**out["source"], "path": str((base / Path(str(out["source"]["path"])).expanduser()).resolve())}
    for key in ("contract", "output"):
        if out.get(key) is not None:
            out[key] = str((base / Path(str(out[key])).expanduser()).resolve())
    gen = out.get("generate")
    if isinstance(gen, dict) and gen.get("known") is not None:
        out["generate"] = {**gen, "known": str((base / Path(str(gen["known"])).expanduser()).resolve())}
    return out


def parse_request(data: Any, base: Path = Path("."), source: str = "request") -> SynthesisRequest:
    """Validate request data (a mapping); errors name the field at fault."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return SynthesisRequest.model_validate(_resolve(data, base))
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{field}: {msg}" if field else msg)
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load_request(path: str | Path, overrides: dict[str, Any] | None = None) -> SynthesisRequest:
    """Read and validate a request YAML file; ``overrides`` (dotted field names, e.g.
    ``{"generate.rows": 500}``; None values are ignored) replace fields of the file before the
    same validation, so an override is checked exactly as the YAML is."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: request file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}: {e.reason}); save the request as UTF-8") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    if overrides and isinstance(data, dict):
        data = apply_overrides(data, overrides)
    return parse_request(data, path.resolve().parent, str(path))


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """A copy of request data with dotted fields replaced (``generate.rows``); None leaves a field."""
    import copy
    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        node = out
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[leaf] = value
    return out
