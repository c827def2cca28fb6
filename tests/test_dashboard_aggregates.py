"""The aggregates the validation stage adds to report.json for the dashboard's pair plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthrecords.domain import data_domain
from synthrecords.validation.charts import MIN_CATEGORY_ROWS, PAIR_BINS, pairs
from synthrecords.validation.measure import validate


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pd.DataFrame({"age": age, "income": age * 1000.0 + rng.normal(0, 5000, n),
                         "segment": rng.choice(["retail", "business", "public"], n)})


def test_pairs_hold_joint_shares_of_every_column_pair_on_a_coarse_grid():
    real = table(2000, 1)
    grids = pairs(real, real, data_domain(real))
    assert grids["columns"] == ["age", "income", "segment"]
    assert [(p["x"], p["y"]) for p in grids["pairs"]] == [("age", "income"), ("age", "segment"), ("income", "segment")]
    age_segment = grids["pairs"][1]
    assert np.shape(age_segment["real"]) == (PAIR_BINS, 3)  # three categories, no "(other)" needed
    assert abs(np.sum(age_segment["synthetic"]) - 1) < 1e-3  # no missing values: every row drawn
    assert age_segment["real"] == age_segment["synthetic"]  # same table on both sides, no small cells


def test_a_real_cell_held_by_fewer_than_ten_rows_is_reported_as_zero():
    real = table(400, 2)
    real.loc[real["age"] >= 80, "segment"] = "public"
    real.loc[:4, ["age", "segment"]] = [89, "retail"]  # exactly 5 rows in the top age bin x retail
    grids = pairs(real, real, data_domain(real))
    entry = next(p for p in grids["pairs"] if (p["x"], p["y"]) == ("age", "segment"))
    retail = grids["labels"]["segment"].index("retail")
    top_bin = len(grids["labels"]["age"]) - 1
    assert entry["real"][top_bin][retail] == 0.0
    assert entry["synthetic"][top_bin][retail] == round(5 / 400, 4)  # synthetic rows are not suppressed
    real_counts = np.array(entry["real"]) * 400
    assert ((real_counts == 0) | (real_counts >= MIN_CATEGORY_ROWS - 1e-6)).all()


def test_validation_puts_the_pairs_into_the_fidelity_section():
    real = table(300, 3)
    fid = validate(real, table(300, 4), measures=("charts",)).to_dict()["fidelity"]
    assert fid["pairs"]["columns"] == ["age", "income", "segment"] and len(fid["pairs"]["pairs"]) == 3
