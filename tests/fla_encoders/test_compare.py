"""Seed statistics, verdicts, and a tiny end-to-end comparison through the command line."""

import json
import math

import pytest

from fla_encoders.cli import main
from fla_encoders.evaluation.stats import mean_std
from fla_encoders.experiments.compare import encoder_config
from fla_encoders.experiments.report import ladder_table

TINY = [
    "--data",
    "mock",
    "--set",
    "data.options.n_dates=60",
    "--set",
    "data.options.n_assets=12",
    "--set",
    "data.options.n_features=8",
    "--set",
    "model.hidden_size=8",
    "--set",
    "model.prediction_hidden=[8]",
    "--set",
    "model.encoder_kwargs.num_layers=1",
    "--set",
    "training.epochs=2",
]


def test_mean_std_skips_non_finite_values():
    assert mean_std([1.0, math.nan, 3.0]) == {"mean": 2.0, "std": math.sqrt(2), "n": 2}
    assert mean_std([1.0])["n"] == 1 and math.isnan(mean_std([1.0])["std"])


def test_encoder_configs_come_from_the_built_in_ones_then_scoped_overrides():
    base = {"model": {"encoder_name": "gru"}, "training": {"epochs": 1}}
    config = encoder_config("rwkv7", base, ["rwkv7:model.hidden_size=16", "gru:model.x=1"])
    assert config["model"]["encoder_name"] == "rwkv7" and config["model"]["hidden_size"] == 16
    assert "x" not in config["model"] and config["training"] == {"epochs": 1}
    config = encoder_config("some_plugin", base, [])
    assert config["model"] == {"encoder_name": "some_plugin", "encoder_kwargs": {}}


def test_compare_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "--encoders", "gru,no_such_encoder", "--seeds", "2", "--out", str(out)]
    assert main(["--log-level", "WARNING", *args, *TINY]) == 0
    printed = capsys.readouterr().out
    assert "| gru | baseline | 2 |" in printed
    assert "no_such_encoder | - | 0 | unavailable: not registered" in printed
    results = json.loads((out / "results.json").read_text())
    assert len(results["runs"]["gru"]) == 2
    assert (out / "report.md").read_text().startswith("# Encoder ladder")
    # a rerun reuses the finished runs
    assert main(["--log-level", "WARNING", *args, *TINY]) == 0


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--config", "baseline_gru", "--out", str(out), *TINY]) == 0
    assert "mean" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(out / "model.pt"), "--split", "valid"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "TARGET",
        "IC",
        "ICIR",
        "RANK_IC",
        "RANK_ICIR",
    ]


def test_report_table_marks_single_seed_spreads_and_missing_baseline():
    stats = {"mean": 0.01, "std": math.nan, "n": 1}
    row = {
        "level": "1",
        "seeds": 1,
        "promised_gain": 0.0008,
        "metrics": dict.fromkeys(("ic", "rank_ic", "icir", "rank_icir"), stats),
    }
    summary = {
        "baseline": "gru",
        "reference": "linear",
        "encoders": {"rwkv7": row},
        "unavailable": {"x": "not registered"},
    }
    text = ladder_table(summary)
    assert "| rwkv7 | 1 | 1 | 0.0100 | - | 0.0100 | 0.010 | - | - | ≥ +0.0008 | - |" in text
    assert "| x | - | 0 | unavailable: not registered |" in text


def test_a_run_folder_refuses_another_configuration(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--config", "baseline_gru", "--out", str(out), *TINY]) == 0
    with pytest.raises(ValueError, match="out_dir"):
        main(
            [
                "train",
                "--config",
                "baseline_gru",
                "--out",
                str(out),
                *TINY,
                "--set",
                "training.lr=0.1",
            ]
        )


def test_a_report_without_any_estimable_gain_still_renders():
    from fla_encoders.experiments.report import markdown

    stats = {"mean": 0.01, "std": 0.0, "n": 2}
    row = {
        "level": "1",
        "seeds": 2,
        "promised_gain": 0.0008,
        "long_short": {
            "ret_1d": dict.fromkeys(
                (
                    "annualized_return",
                    "annualized_volatility",
                    "sharpe",
                    "max_drawdown",
                    "turnover",
                ),
                0.1,
            )
        },
        "metrics": dict.fromkeys(("ic", "rank_ic", "icir", "rank_icir"), stats),
        "information": {"mean": {"ic": {}}},
        "vs_baseline": {
            "ic": {"mean": {"error": "too few dates"}},
            "rank_ic": {"mean": {"error": "too few dates"}},
        },
    }
    summary = {
        "baseline": "gru",
        "reference": "linear",
        "encoders": {"rwkv7": row},
        "unavailable": {},
    }
    text = markdown(summary, [])
    assert "n/a (too few dates)" in text and "no gain could be estimated" in text
