"""Checks of a request against its data before any training: a typo costs seconds, not a fit.

Run by every modality's ingest step (and so by ``synthgan run``, the deployments and
``synthgan fit request.yaml``): the columns and values the request names exist in the data, the
contract parses and names only columns the data has, the model's hyperparameters are ones the model
takes; and, before the work folder is made, that the output folder is writable.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

from synthgan.errors import ConfigError, OutputError
from synthgan.request import SynthesisRequest


def check_request(req: SynthesisRequest, data: pd.DataFrame, source: str | None = None,
                  condition_columns: list[str] | None = None) -> None:
    """Everything of ``req`` that ``data`` (the ingested real rows) can confirm.

    ``condition_columns``: the columns a per-condition count may name (all columns when None).
    """
    source = source or str(req.source.path)
    columns = list(data.columns)
    if req.target is not None and req.target not in columns:
        raise ConfigError(f"target: column {req.target!r} is not in {source}; columns are {columns}")
    allowed = columns if condition_columns is None else condition_columns
    for col, counts in req.generate.per_condition.items():
        if col not in allowed:
            raise ConfigError(f"generate.per_condition: column {col!r} is not one of {allowed} of {source}")
        for value in counts:
            check_value(data[col], value, f"generate.per_condition.{col}", source)
    for i, cond in enumerate(req.generate.conditions):
        for col, value in cond.values.items():
            if col not in columns:
                raise ConfigError(f"generate.conditions[{i}].values: column {col!r} is not in {source}; "
                                  f"columns are {columns}")
            if not isinstance(value, (list, tuple)):
                check_value(data[col], value, f"generate.conditions[{i}].values.{col}", source)
    check_hyperparameters(req)
    if req.contract is not None:
        check_contract_columns(req.contract, columns, source)


def check_value(column: pd.Series, value, field: str, source: str) -> None:
    """``value`` (text from YAML or a form) is one of the values of ``column``; else a ConfigError
    that lists the values and suggests the nearest (``>50k`` -> ``>50K``)."""
    values = column.dropna().unique()
    text = str(value)
    if text in {str(v) for v in values}:
        return
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        try:
            if float(text) in set(pd.to_numeric(values).astype(float)):
                return
        except ValueError:
            pass
    names = sorted({str(v) for v in values})
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(text.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f"; did you mean {by_lower[close[0]]!r}?" if close else ""
    shown = ", ".join(repr(n) for n in names[:20]) + (f", ... ({len(names)} values)" if len(names) > 20 else "")
    raise ConfigError(f"{field}: value {text!r} never occurs in column {column.name!r} of {source}{hint} "
                      f"(values: {shown})")


def model_arguments(req: SynthesisRequest) -> dict:
    """The keyword arguments the request's model is built with (as the fit steps build it)."""
    resolved = req.model.resolved()
    privacy = {"privacy": req.privacy} if req.privacy is not None else {}
    if req.modality == "tabular":
        return {**resolved, **privacy, "random_state": req.seed}
    # a series or image model takes the preset's epochs (the default preset names none: its own default)
    epochs = {"epochs": resolved["epochs"]} if "epochs" in resolved else {}
    return {**epochs, **req.model.hyperparameters, **privacy, "random_state": req.seed}


def build_model(req: SynthesisRequest):
    """The request's model, built (not trained) as the fit steps build it; a hyperparameter the
    model does not take is a ConfigError naming it."""
    if req.modality == "timeseries":
        from synthgan.synthesizers.timeseries import TimeSeriesGAN as cls
    elif req.modality == "image":
        from synthgan.synthesizers.image import ImageGAN as cls
    else:
        from synthgan.synthesizers.tabular import TabularGAN as cls
    kwargs = model_arguments(req)
    known = cls._get_param_names()
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise ConfigError(f"unknown hyperparameter(s) {unknown}; expected some of {sorted(known)}")
    return cls(**kwargs)


def resolved_config(req: SynthesisRequest) -> dict:
    """Every hyperparameter the request's model will train with, library defaults included (so a
    change of default changes the model cache key); the verbosity left out."""
    cfg = build_model(req).validate_params().to_dict()
    cfg.pop("verbose", None)
    return cfg


def check_hyperparameters(req: SynthesisRequest) -> None:
    """The model accepts the request's preset and hyperparameters (names and values): building
    and validating it checks them, without training."""
    try:
        build_model(req).validate_params()
    except (ConfigError, TypeError, ValueError) as e:
        raise ConfigError(f"model (preset {req.model.preset!r} and hyperparameters): {e}") from None


def check_contract_columns(contract: Path, columns: list[str], source: str) -> None:
    """The contract parses (GX checks every expectation) and names only columns of the data."""
    from synthgan.contracts import load_suite
    from synthgan.contracts.suite import expectation_columns, suite_to_dict
    suite = load_suite(contract)
    missing: dict[str, list[str]] = {}
    for e in suite_to_dict(suite)["expectations"]:
        for col in expectation_columns(e):
            if col not in columns:
                missing.setdefault(col, []).append(e["type"])
    if missing:
        first = ", ".join(f"{c!r} ({len(t)} rule(s), e.g. {t[0]})" for c, t in sorted(missing.items()))
        raise ConfigError(f"contract {contract}: names column(s) not in {source}: {first}; "
                          f"the data's columns are {columns}")


def check_writable(folder: Path) -> None:
    """``folder`` (made if missing) can take new files: checked before any work is done."""
    folder = Path(folder)
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"output: {probe} is a file; expected a folder to publish into")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"output: {probe} is not writable by this user; choose another output folder "
                          f"(--output) or fix its permissions")
