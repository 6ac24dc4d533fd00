"""Run inside a virtual environment with alphalens-reloaded (tests/fla_encoders/test_alphalens.py
makes it):

    python alphalens_agreement.py WORK_FOLDER

An fla-encoders model's test predictions on a price panel, analysed by alphalens
(``get_clean_factor_and_forward_returns``, the information table, the quantile returns and
turnover) and by ``fla_encoders.evaluation.factor`` on the same rows; writes
WORK_FOLDER/report.json with both sides' numbers per period.
"""

import contextlib
import dataclasses
import io
import json
import sys
from pathlib import Path

import alphalens as al
import numpy as np
import pandas as pd
import torch

from fla_encoders.data.config import DataConfig, build_datasets
from fla_encoders.evaluation.factor import INFORMATION_LABELS, information_tables, long_short
from fla_encoders.evaluation.metrics import daily_ic
from fla_encoders.evaluation.predict import predict
from fla_encoders.model import FLAFinancialModel
from fla_encoders.training import TrainConfig, fit

PERIODS = (1, 5)
QUANTILES = 5
N_ASSETS = 40  # a multiple of QUANTILES: alphalens' qcut bins then hold n / 5 assets each


def price_frame(rng) -> pd.DataFrame:
    """Prices of ``N_ASSETS`` over 300 business dates, each asset with its own drift."""
    dates = pd.bdate_range("2022-01-03", periods=300)
    drift = rng.normal(0, 0.001, N_ASSETS)
    steps = drift + rng.normal(0, 0.02, (len(dates), N_ASSETS))
    names = [f"A{i:02d}" for i in range(N_ASSETS)]
    return pd.DataFrame(100 * np.exp(steps.cumsum(0)), index=dates, columns=names)


def model_scores(prices: pd.DataFrame) -> pd.DataFrame:
    """Test-split scores of a small GRU trained on the prices' panel (labels: the log returns
    over 1 and 5 dates, ``fwd_ret_1``, ``fwd_ret_5``)."""
    options = {"path": prices, "lookback": 10, "horizons": list(PERIODS)}
    datasets = build_datasets(DataConfig(source="prices", options=options, window=5))
    torch.manual_seed(0)
    model = FLAFinancialModel(n_features=20, num_targets=2, encoder_name="gru", hidden_size=16)
    fit(model, datasets["train"], datasets["valid"], TrainConfig(epochs=2))
    predictions = predict(model, datasets["test"])
    labels = dataclasses.replace(predictions, pred=predictions.label).to_frame()
    return predictions.to_frame().join(labels.add_prefix("label_"))


def max_diff(a, b) -> float:
    """Largest absolute difference of two equal-length sequences (NaN where both are)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    both = np.isnan(a) & np.isnan(b)
    return float(np.max(np.abs(np.where(both, 0.0, a - b))))


def period_report(factor_data: pd.DataFrame, scores: pd.DataFrame, period: int) -> dict:
    """Both sides' numbers for the forward returns over ``period`` dates."""
    column = f"{period}D"
    date = factor_data.index.get_level_values("date")
    asset = factor_data.index.get_level_values("asset")
    factor, forward = factor_data["factor"], factor_data[column]

    their_ics = al.performance.factor_information_coefficient(factor_data)
    their_ic = their_ics[column]
    codes = torch.tensor(pd.factorize(date, sort=True)[0])
    our_ic = daily_ic(torch.tensor(factor.to_numpy()), torch.tensor(forward.to_numpy()), codes)
    # a frame, as its tear sheet passes it: of a Series, it leaves the first three rows NaN
    their_table = al.plotting.plot_information_table(their_ics, return_df=True).loc[column]
    our_table = information_tables(factor, forward, date, [column])[column]["rank_ic"]

    # our own labels (log returns of the same prices) on the same rows
    log_label = scores[f"label_fwd_ret_{period}"].reindex(factor_data.index).to_numpy()
    on_log = daily_ic(torch.tensor(factor.to_numpy()), torch.tensor(log_label), codes)

    # alphalens demeans the forward returns by the date's mean; its spread is halved
    by_date, _ = al.performance.mean_return_by_quantile(factor_data, by_date=True)
    their_spread = al.performance.compute_mean_returns_spread(by_date, QUANTILES, 1)[0][column]
    their_top = by_date.xs(QUANTILES, level="factor_quantile")[column]
    date_mean = forward.groupby(level="date").mean()
    ours = long_short(factor, forward, date, asset, quantiles=QUANTILES, horizon=period)
    ours_simple = long_short(factor, np.expm1(log_label), date, asset, QUANTILES, period)

    report = {
        "dates": len(their_ic),
        "rank_ic_max_abs_diff": max_diff(our_ic["rank_ic"], their_ic),
        "rank_ic_on_log_labels_max_abs_diff": max_diff(on_log["rank_ic"], their_ic),
        "pearson_ic_log_vs_simple_max_abs_diff": max_diff(on_log["ic"], our_ic["ic"]),
        "information_table": {
            label: {"ours": our_table[key], "alphalens": float(their_table[label])}
            for key, label in INFORMATION_LABELS.items()
            if label in their_table.index
        },
        "spread_daily_max_abs_diff_ours_vs_twice_alphalens": max_diff(
            ours["daily"]["long_short"], 2 * their_spread
        ),
        "top_daily_max_abs_diff_ours_demeaned_vs_alphalens": max_diff(
            np.array(ours["daily"]["long"]) - date_mean.to_numpy(), their_top
        ),
        "spread_mean": {
            "ours": ours["summary"]["mean"],
            "alphalens_halved": float(their_spread.mean()),
        },
        "spread_daily_simple_from_log_labels_max_abs_diff": max_diff(
            ours_simple["daily"]["long_short"], ours["daily"]["long_short"]
        ),
    }
    if period == 1:  # alphalens lags turnover by the period; ours by one date
        quantile = factor_data["factor_quantile"]
        report["turnover"] = {
            "top": {
                "ours": ours["summary"]["turnover_long"],
                "alphalens": float(al.performance.quantile_turnover(quantile, QUANTILES).mean()),
            },
            "bottom": {
                "ours": ours["summary"]["turnover_short"],
                "alphalens": float(al.performance.quantile_turnover(quantile, 1).mean()),
            },
        }
    return report


def main(folder: str) -> None:
    rng = np.random.default_rng(0)
    prices = price_frame(rng)
    scores = model_scores(prices)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # alphalens prints how many rows it dropped
        factor_data = al.utils.get_clean_factor_and_forward_returns(
            scores["fwd_ret_5"], prices, quantiles=QUANTILES, periods=PERIODS
        )
    report = {
        "rows": {"scores": len(scores), "alphalens": len(factor_data)},
        "alphalens_said": printed.getvalue().strip(),
        "periods": {str(p): period_report(factor_data, scores, p) for p in PERIODS},
    }
    (Path(folder) / "report.json").write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main(*sys.argv[1:])
