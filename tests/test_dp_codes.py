"""Integer categories under DP: codes on the public grid -1..20 need no threshold; a few integers
off that grid (years, terms in months) are read off the data and thresholded, never lost."""

import numpy as np
import pandas as pd

from synthrecords.privacy.codes import CODE_GRID, code_keys
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.ledger import PrivacyLedger


def test_few_integers_off_the_code_grid_are_released_as_themselves():
    rng = np.random.default_rng(0)
    n = 3000
    data = pd.DataFrame({"year": rng.choice([2010, 2011, 2012, 2013, 2014], n),
                         "term": rng.choice([6, 12, 24, 36, 48, 60, 72], n),
                         "answer": rng.choice([0, 1, 2], n), "label": rng.choice(["a", "b"], n)})
    domain = release_domain(data, PrivacyLedger(3.0, 1e-5), kinds={"term": "categorical"})
    assert sorted(domain["year"].categories) == [2010, 2011, 2012, 2013, 2014]
    assert sorted(domain["term"].categories) == [6, 12, 24, 36, 48, 60, 72]
    assert {0, 1, 2} <= set(domain["answer"].categories)  # still on the grid


def test_the_code_grid_is_used_only_when_every_value_sits_on_it():
    assert code_keys(pd.Series([0, 1, 2, 20, -1]), {}) == CODE_GRID
    assert code_keys(pd.Series([0, 1, 2, 21]), {}) is None
    assert code_keys(pd.Series([-2, 0, 1]), {}) is None
    assert code_keys(pd.Series(["a", "b"]), {}) is None
