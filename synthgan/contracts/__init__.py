"""Data contracts: Great Expectations suites drafted from real data, reviewed by people, and
checked against every synthetic table before it is published."""

from synthgan.contracts.draft import draft_suite
from synthgan.contracts.pii import apply_pii_policy, strip_pii
from synthgan.contracts.suite import load_suite, pii_columns, save_suite, suite_from_dict
from synthgan.contracts.validate import ContractResult, FailedExpectation, validate_frame

__all__ = ["ContractResult", "FailedExpectation", "apply_pii_policy", "draft_suite", "load_suite",
           "pii_columns", "save_suite", "strip_pii", "suite_from_dict", "validate_frame"]
