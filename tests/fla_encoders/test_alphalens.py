"""alphalens: fla_encoders.evaluation.factor's information table and long-short view agree
with alphalens-reloaded on the same predictions and prices, each convention that differs
mapped (docs/ecosystem.md, section alphalens); the alphalens recipe there runs as written.

Slow: the first run makes build/test-venvs/alphalens, an environment with alphalens-reloaded
(venvs.py; about 1.5 minutes), reused while its requirements hold; the work then takes under a
minute (tests/fla_encoders/alphalens_agreement.py, run_recipes.py).
"""

import sys

import pytest

from tests.fla_encoders.venvs import ROOT, cached_venv, script_report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="alphalens-reloaded needs Python 3.11"),
]

REQUIREMENTS = ["alphalens-reloaded==0.5.1"]
DOC = ROOT / "docs" / "ecosystem.md"
EXACT = 1e-12


@pytest.fixture(scope="module")
def python():
    return cached_venv("alphalens", REQUIREMENTS)


@pytest.fixture(scope="module")
def report(python, tmp_path_factory):
    return script_report(python, "alphalens_agreement.py", work=tmp_path_factory.mktemp("a"))


def test_alphalens_keeps_every_scored_row(report):
    assert report["rows"]["alphalens"] == report["rows"]["scores"] > 1000


@pytest.mark.parametrize("period", ["1", "5"])
def test_the_rank_ic_is_alphalens_ic(report, period):
    numbers = report["periods"][period]
    assert numbers["dates"] > 40
    assert numbers["rank_ic_max_abs_diff"] < EXACT
    # Spearman does not see log versus simple returns; Pearson does
    assert numbers["rank_ic_on_log_labels_max_abs_diff"] < EXACT
    assert numbers["pearson_ic_log_vs_simple_max_abs_diff"] > 1e-4


@pytest.mark.parametrize("period", ["1", "5"])
def test_the_information_table_is_alphalens(report, period):
    table = report["periods"][period]["information_table"]
    assert len(table) == 7
    for row, values in table.items():
        assert values["ours"] == pytest.approx(values["alphalens"], rel=1e-9, abs=EXACT), row


@pytest.mark.parametrize("period", ["1", "5"])
def test_the_spread_is_twice_alphalens(report, period):
    numbers = report["periods"][period]
    assert numbers["spread_daily_max_abs_diff_ours_vs_twice_alphalens"] < EXACT
    assert numbers["top_daily_max_abs_diff_ours_demeaned_vs_alphalens"] < EXACT
    mean = numbers["spread_mean"]
    assert mean["ours"] == pytest.approx(2 * mean["alphalens_halved"], abs=EXACT)
    # our log-return labels, made simple, give the same spread up to float32 rounding
    assert numbers["spread_daily_simple_from_log_labels_max_abs_diff"] < 1e-7


def test_the_turnover_is_alphalens(report):
    for side in ("top", "bottom"):
        values = report["periods"]["1"]["turnover"][side]
        assert values["ours"] == pytest.approx(values["alphalens"], abs=EXACT), side


def test_the_alphalens_recipe_runs_and_prints_what_it_says(python, tmp_path):
    recipes = script_report(python, "run_recipes.py", DOC, "alphalens", work=tmp_path)
    printed = iter(recipes["printed"])  # alphalens prints its own lines between ours
    assert recipes["said"] and all(line in printed for line in recipes["said"])
