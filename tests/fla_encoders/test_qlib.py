"""Qlib: the example workflow (examples/qlib) trains and scores an fla-encoders model inside
Qlib's own workflow (``task_train``, ``SignalRecord``, ``SigAnaRecord``), and Qlib's IC analysis
of its predictions agrees with fla_encoders.evaluation; the Qlib recipes of docs/ecosystem.md
run as written.

Slow: the first run makes build/test-venvs/qlib, an environment with pyqlib (about 3 minutes on
2 cores; venvs.py), reused while its requirements hold; then the work itself takes about a
minute (tests/fla_encoders/qlib_workflow.py, run_recipes.py).
"""

import pytest

from tests.fla_encoders.venvs import ROOT, cached_venv, script_report

pytestmark = pytest.mark.slow

REQUIREMENTS = ["pyqlib==0.9.7"]
WORKFLOW = ROOT / "examples" / "qlib" / "workflow_config_fla_encoder_Alpha360.yaml"
DOC = ROOT / "docs" / "ecosystem.md"
EXACT = 1e-12  # both sides compute in float64 on the same rows


@pytest.fixture(scope="module")
def python():
    return cached_venv("qlib", REQUIREMENTS)


@pytest.fixture(scope="module")
def report(python, tmp_path_factory):
    return script_report(python, "qlib_workflow.py", WORKFLOW, work=tmp_path_factory.mktemp("q"))


def test_the_workflow_trains_and_scores_every_test_row(report):
    done = report["workflow"]
    assert (done["model"], done["encoder"]) == ("FLAEncoderModel", "gated_deltanet")
    assert done["predictions"] == done["test_rows"] > 0
    assert len(done["history"]) == 3
    assert done["ic"]["ours"]["ic"] > 0.05  # the label follows the last closes


@pytest.mark.parametrize("run_name", ["workflow", "time_series"])
def test_qlib_ic_analysis_agrees_with_ours(report, run_name):
    ic = report[run_name]["ic"]
    assert ic["dates"] == 25 and ic["same_nan_dates"]
    assert ic["ic_max_abs_diff"] < EXACT
    assert ic["rank_ic_max_abs_diff"] < EXACT
    for key, value in ic["qlib"].items():
        assert ic["ours"][key] == pytest.approx(value, abs=EXACT), key


def test_the_recorded_metrics_are_ours(report):
    recorded, ours = report["workflow"]["recorded_metrics"], report["workflow"]["ic"]["ours"]
    names = {"IC": "ic", "ICIR": "icir", "Rank IC": "rank_ic", "Rank ICIR": "rank_icir"}
    for qlib_name, our_name in names.items():
        assert recorded[qlib_name] == pytest.approx(ours[our_name], abs=EXACT), qlib_name


def test_our_long_short_is_twice_qlibs(report):
    spread = report["workflow"]["long_short"]
    assert spread["dates"] == 25
    assert spread["max_abs_diff_ours_vs_twice_qlib"] < EXACT


def test_the_windows_are_those_qlibs_grus_take(report):
    assert report["workflow"]["windows_max_abs_diff"] == 0.0
    windows = report["time_series"]["windows"]
    assert windows["samples"] == windows["ours"] == report["time_series"]["predictions"]
    assert windows["max_abs_diff"] == 0.0


def test_the_qlib_recipes_run_and_print_what_they_say(python, report, tmp_path):
    recipes = script_report(python, "run_recipes.py", DOC, "qlib", work=tmp_path)
    assert recipes["printed"] == recipes["said"] != []
    [section] = recipes["yaml"]
    assert section == {"task": {"model": report["workflow"]["model_section"]}}
