"""Point masses, the quantile map and the numeric encoder (synthgan.transform.numeric)."""

import json

import numpy as np
import pandas as pd
import pytest

from synthgan.errors import SchemaError
from synthgan.schema import infer_schema
from synthgan.transform import NumericEncoder, TableTransformer, find_point_masses


def spiky(n: int = 20000, seed: int = 0) -> dict[str, np.ndarray]:
    """Columns shaped like Adult's: zeros plus a long tail and a top-code; a round-value spike."""
    rng = np.random.default_rng(seed)
    gain = np.where(rng.random(n) < 0.9, 0.0, np.round(np.exp(rng.normal(8.5, 0.8, n))).clip(114, 41310))
    gain[rng.random(n) < 0.005] = 99999.0
    hours = np.round(rng.normal(40, 12, n)).clip(1, 99)
    u = rng.random(n)
    hours[u < 0.45] = 40.0
    hours[(u >= 0.45) & (u < 0.53)] = 50.0
    age = np.round(rng.normal(40, 12, n)).clip(17, 90)
    return {"gain": gain, "hours": hours, "age": age}


def test_spikes_are_found_and_smooth_integer_columns_have_none():
    cols = spiky()
    gain, hours = find_point_masses(cols["gain"]), find_point_masses(cols["hours"])
    assert {0.0, 99999.0} <= set(gain)
    assert {40.0, 50.0} <= set(hours)
    assert len(find_point_masses(cols["age"])) == 0           # every age is common; none is a spike
    assert len(find_point_masses(np.random.default_rng(0).normal(size=5000))) == 0
    few = np.random.default_rng(0).choice([0.5, 1.5, 2.25], 500)
    assert set(find_point_masses(few)) == {0.5, 1.5, 2.25}    # a handful of values: all exact


def test_encoding_is_exact_and_decoding_never_fills_gaps():
    rng = np.random.default_rng(1)
    v = spiky()["gain"]
    enc = NumericEncoder.fit(v, rng)
    alpha, mode = enc.transform(v, rng)
    np.testing.assert_allclose(np.round(enc.inverse(alpha, mode)), v)
    # Any generator output decodes to a mass or to the continuous part's range: never into 1..113
    # (below the smallest real non-zero value) or 41,311..99,998 (the gap below the top-code).
    out = enc.inverse(rng.uniform(-1, 1, 50000), rng.integers(enc.n_modes, size=50000))
    positive_tail = v[(v > 0) & (v < 99999)]
    inside = (out >= positive_tail.min()) & (out <= positive_tail.max())
    assert (np.isin(out, [0.0, 99999.0]) | inside).all()
    back = NumericEncoder.from_state(json.loads(json.dumps(enc.to_state())))
    np.testing.assert_array_equal(back.inverse(alpha, mode), enc.inverse(alpha, mode))


def test_point_masses_can_be_overridden_and_are_saved_with_the_transformer():
    df = pd.DataFrame(spiky(3000))
    schema = infer_schema(df)
    t = TableTransformer(point_masses={"hours": [], "age": [40]}).fit(df, schema, np.random.default_rng(0))
    assert len(t.numeric_["hours"].normalizer.masses) == 0
    assert t.numeric_["age"].normalizer.masses.tolist() == [40.0]
    assert 0.0 in t.numeric_["gain"].normalizer.masses
    state = json.loads(json.dumps(t.to_state()))
    assert state["numeric"]["gain"]["normalizer"]["masses"][0] == 0.0
    assert TableTransformer.from_state(state).numeric_["age"].normalizer.masses.tolist() == [40.0]
    with pytest.raises(SchemaError, match=r"point_masses: \['nope'\] are not numeric columns"):
        TableTransformer(point_masses={"nope": [1]}).fit(df, schema, np.random.default_rng(0))
