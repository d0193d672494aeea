import pandas as pd
import pytest

from synthgan.errors import SchemaError
from synthgan.schema import ColumnKind, Schema, infer_schema


def test_infers_every_kind(mixed):
    s = infer_schema(mixed)
    kinds = {c.name: c.kind for c in s.columns}
    assert kinds == {
        "row_id": ColumnKind.ID, "group": ColumnKind.CATEGORICAL, "bimodal": ColumnKind.CONTINUOUS,
        "count": ColumnKind.INTEGER, "score": ColumnKind.CONTINUOUS, "flag": ColumnKind.BOOLEAN,
        "color": ColumnKind.CATEGORICAL, "when": ColumnKind.DATETIME,
    }
    assert s["score"].nullable and not s["count"].nullable


def test_small_integer_levels_are_categorical_unless_told_otherwise():
    df = pd.DataFrame({"rating": [1, 2, 3, 4, 5] * 40, "x": range(200)})
    assert infer_schema(df)["rating"].kind is ColumnKind.CATEGORICAL
    assert infer_schema(df, discrete_columns=[])["rating"].kind is ColumnKind.INTEGER
    assert infer_schema(df, overrides={"x": "continuous"})["x"].kind is ColumnKind.CONTINUOUS


def test_json_round_trip(mixed):
    s = infer_schema(mixed)
    assert Schema.from_json(s.to_json()) == s


def test_bad_override_and_bad_json_name_the_problem(mixed):
    with pytest.raises(SchemaError, match="'group'.*unknown kind 'text'"):
        infer_schema(mixed, overrides={"group": "text"})
    with pytest.raises(SchemaError, match="'nope' is not in the data"):
        infer_schema(mixed, discrete_columns=["nope"])
    with pytest.raises(SchemaError, match="unknown kind 'blob'"):
        Schema.from_json('{"columns": [{"name": "a", "kind": "blob", "dtype": "int64"}]}')
    with pytest.raises(SchemaError, match="malformed"):
        Schema.from_json("{not json")
