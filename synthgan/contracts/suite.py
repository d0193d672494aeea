"""Contracts on disk: a Great Expectations (GX Core 1.x) ExpectationSuite as reviewed JSON.

A contract file is the suite's JSON (sorted keys, no store ids) with synthgan's own notes under
``meta["synthgan"]``: the column kinds it was drafted from, which columns are personal data or
identifiers and what to do with them on output, and a free-text review note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthgan.errors import ContractError
from synthgan.files import write_text_atomic

META_KEY = "synthgan"
PII_ACTIONS = ("drop", "fake")
PII_ROLES = ("identifier", "personal")


def gx_context():
    """The process-wide ephemeral GX context (GX needs an active context to build suites)."""
    global _CONTEXT
    if _CONTEXT is None:
        import logging

        import great_expectations as gx
        logging.getLogger("great_expectations").setLevel(logging.WARNING)   # no "docs site" chatter
        from great_expectations.data_context.types.base import ProgressBarsConfig
        _CONTEXT = gx.get_context(mode="ephemeral")
        _CONTEXT.variables.progress_bars = ProgressBarsConfig(globally=False)
    return _CONTEXT


_CONTEXT = None


def suite_to_dict(suite) -> dict:
    """The suite as plain JSON data without the ids a GX store would add."""
    d = suite.to_json_dict()
    d.pop("id", None)
    for e in d.get("expectations", []):
        e.pop("id", None)
        e.get("kwargs", {}).pop("batch_id", None)
    return d


def save_suite(suite, path: str | Path) -> Path:
    """Write ``suite`` as sorted-key JSON, atomically."""
    text = json.dumps(suite_to_dict(suite), indent=2, sort_keys=True, default=str) + "\n"
    return write_text_atomic(Path(path), text)


def load_suite(path: str | Path):
    """Read a contract file into a GX ExpectationSuite, checking every expectation.

    Raises
    ------
    ContractError
        Missing file, malformed JSON, an unknown expectation type, or an expectation whose
        arguments GX rejects; the message names the file and the expectation.
    """
    path = Path(path)
    if not path.is_file():
        raise ContractError(f"{path}: contract file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ContractError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except UnicodeDecodeError:
        raise ContractError(f"{path}: not UTF-8 text") from None
    return suite_from_dict(data, source=str(path))


def suite_from_dict(data: Any, source: str = "contract"):
    """Build a suite from its JSON data, one checked expectation at a time (GX itself would drop an
    unknown expectation type with only a log line)."""
    gx_context()
    from great_expectations.core import ExpectationSuite
    from great_expectations.exceptions import ExpectationNotFoundError, InvalidExpectationConfigurationError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise ContractError(f"{source}: expected a JSON object with a non-empty 'name' (an ExpectationSuite)")
    items = data.get("expectations", [])
    if not isinstance(items, list):
        raise ContractError(f"{source}: 'expectations' must be a list")
    expectations = []
    for i, item in enumerate(items):
        where = f"{source}: expectation #{i + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ContractError(f"{where}: expected an object with a 'type' and 'kwargs'")
        kwargs = item.get("kwargs", {})
        col = kwargs.get("column") or ", ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
        label = f"{where} ({item['type']}{', column ' + col if col else ''})"
        try:
            config = ExpectationConfiguration(type=item["type"], kwargs=kwargs, meta=item.get("meta") or {})
            expectations.append(config.to_domain_obj())
        except ExpectationNotFoundError:
            raise ContractError(f"{where}: unknown expectation type {item['type']!r}") from None
        except (InvalidExpectationConfigurationError, ValueError, TypeError) as e:
            first = str(e).strip().splitlines()
            raise ContractError(f"{label}: invalid arguments ({' '.join(first[:3])})") from None
    meta = data.get("meta") or {}
    check_meta(meta, source)
    return ExpectationSuite(name=data["name"], expectations=expectations, meta=meta)


def check_meta(meta: dict, source: str) -> None:
    """synthgan's part of the suite meta: PII entries need a known role and action."""
    ours = meta.get(META_KEY, {})
    if not isinstance(ours, dict):
        raise ContractError(f"{source}: meta.{META_KEY} must be an object")
    for col, spec in (ours.get("pii") or {}).items():
        if not isinstance(spec, dict) or spec.get("role") not in PII_ROLES or spec.get("on_output") not in PII_ACTIONS:
            raise ContractError(f"{source}: meta.{META_KEY}.pii.{col}: expected "
                                f"{{'role': one of {list(PII_ROLES)}, 'on_output': one of {list(PII_ACTIONS)}}}, "
                                f"got {spec!r}")


def pii_columns(suite) -> dict[str, dict]:
    """Column -> {'role', 'on_output'} for the columns the contract marks as personal data."""
    return dict((suite.meta or {}).get(META_KEY, {}).get("pii") or {})


def expectation_columns(config: dict) -> list[str]:
    """The columns one expectation (as JSON data) refers to."""
    kw = config.get("kwargs", {})
    cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
    cols += list(kw.get("column_list", []))
    return [str(c) for c in cols]
