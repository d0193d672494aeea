"""Every exception synthgan raises on purpose lives here.

Each message names the file, column or field at fault and says what was expected.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted


class SynthganError(Exception):
    """Base class of all synthgan errors."""


class DataError(SynthganError, ValueError):
    """The input data is unusable: missing or unreadable file, bad column, all-null column."""


class SchemaError(SynthganError, ValueError):
    """A schema is malformed, or does not match the data it is applied to."""


class ConfigError(SynthganError, ValueError):
    """A hyperparameter or configuration field has an invalid value."""


class ConditionError(SynthganError, ValueError):
    """A sampling condition names an unknown column or value."""


class ConstraintError(SynthganError, ValueError):
    """A constraint is malformed, names a wrong column, or is broken by the real data."""


class NotFittedError(SynthganError, _SklearnNotFitted):
    """A model was used before `fit` (or `load`); scikit-learn's NotFittedError too, so code that
    catches that (``sklearn.utils.validation.check_is_fitted``'s) catches ours."""


class ModelFileError(SynthganError, OSError):
    """A saved model folder is missing a file or holds an inconsistent one."""


class OutputError(SynthganError, OSError):
    """An output path would replace something the user has (or is unusable), and --force was not given."""


class ContractError(SynthganError, ValueError):
    """A data contract (Great Expectations suite) is malformed or cannot be applied."""
