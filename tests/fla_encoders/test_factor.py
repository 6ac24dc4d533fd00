"""fla_encoders.evaluation.factor: alphalens' information table against scipy, and the
long-short view on a panel worked out by hand."""

import math

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("scipy")
pytest.importorskip("statsmodels")

import torch  # noqa: E402
from scipy import signal, stats  # noqa: E402

from fla_encoders.evaluation.factor import (  # noqa: E402
    INFORMATION_LABELS,
    information_table,
    information_tables,
    long_short,
    long_short_tables,
)
from fla_encoders.evaluation.metrics import daily_ic, summarize  # noqa: E402


def test_the_information_table_is_alphalens_by_scipy():
    rng = np.random.default_rng(0)
    ic = 0.03 + 0.1 * rng.standard_normal(120) ** 3
    ic[[3, 50]] = np.nan  # dates without an IC are skipped
    kept = ic[np.isfinite(ic)]
    table = information_table(ic)
    test = stats.ttest_1samp(kept, 0.0)
    assert table["n_dates"] == 118
    assert table["ic_mean"] == pytest.approx(kept.mean())
    assert table["ic_std"] == pytest.approx(kept.std(ddof=1))
    assert table["risk_adjusted_ic"] == pytest.approx(kept.mean() / kept.std(ddof=1))
    assert table["t_stat"] == pytest.approx(test.statistic)
    assert table["p_value"] == pytest.approx(test.pvalue)
    assert table["ic_skew"] == pytest.approx(stats.skew(kept))
    assert table["ic_kurtosis"] == pytest.approx(stats.kurtosis(kept, fisher=True))
    assert set(INFORMATION_LABELS) <= set(table)
    assert math.isnan(information_table([0.1])["ic_std"])


def test_the_hac_t_stat_is_smaller_for_overlapping_labels():
    # 6-date overlapping labels: the daily ICs are MA(5); alphalens' t-stat overstates
    noise = np.random.default_rng(1).standard_normal(505)
    ic = 0.02 + 0.05 * signal.lfilter(np.ones(6), [1.0], noise)[5:] / 6
    table = information_table(ic)
    assert 0 < table["t_stat_hac"] < table["t_stat"] / 1.5
    assert table["p_value_hac"] > table["p_value"]


def test_information_tables_per_target_from_the_rows():
    rng = np.random.default_rng(2)
    date = np.repeat(np.arange(30), 20)
    label = rng.standard_normal((600, 2))
    pred = label + 2 * rng.standard_normal((600, 2))
    tables = information_tables(torch.from_numpy(pred), label, torch.from_numpy(date), ["r1", "r5"])
    for k, name in enumerate(["r1", "r5"]):
        series = daily_ic(torch.from_numpy(pred[:, k]), torch.from_numpy(label[:, k]),
                          torch.from_numpy(date))  # fmt: skip
        for kind in ("ic", "rank_ic"):
            expected = summarize(series[kind])
            assert tables[name][kind]["ic_mean"] == pytest.approx(expected["mean"])
            assert tables[name][kind]["risk_adjusted_ic"] == pytest.approx(expected["ir"])
    with pytest.raises(ValueError, match="expected"):
        information_tables(pred, label, date, ["only_one"])


def hand_panel():
    """3 dates x 10 assets (asset i is row i of each date), and a date of 4 assets.

    date 0: predictions 0..9 in asset order. Bottom 2: assets 0, 1, labels -0.02, -0.01:
        short -0.015; top 2: assets 8, 9, labels 0.01, 0.03: long 0.02; long-short 0.035.
    date 1: ascending predictions rank assets 0, 2, 5, 1, 3, 4, 6, 8, 7, 9. Bottom {0, 2},
        labels 0.01, 0.01: short 0.01; top {7, 9}, labels -0.01, 0: long -0.005; long-short
        -0.015. New in the top: 7 of {7, 9}, 1/2; in the bottom: 2 of {0, 2}, 1/2.
    date 2: asset 5 has no label, 9 assets left: 1 a side. Bottom: asset 3 (prediction -1,
        label -0.01); top: assets 8 and 9 tie at 9, the later row ranks higher: asset 9,
        label 0.02 (asset 8's 0.5 stays out); long-short 0.03. New in the top {9}: none, 0;
        in the bottom {3}: 1.
    date 3: 4 assets, 4 // 5 = 0 a side: no portfolio (NaN), skipped.
    Turnover: long (1/2 + 0) / 2 = 0.25, short (1/2 + 1) / 2 = 0.75, mean 0.5.
    """
    pred = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] + [0, 3, 1, 4, 5, 2, 6, 8, 7, 9]
    pred += [1, 2, 3, -1, 4, 0, 5, 6, 9, 9] + [1, 2, 3, 4]
    label = [-0.02, -0.01, 0, 0, 0, 0, 0, 0, 0.01, 0.03] + [0.01, 0, 0.01, 0, 0, 0, 0, -0.01, 0, 0]
    label += [0, 0, 0, -0.01, 0, math.nan, 0, 0, 0.5, 0.02] + [0, 0, 0, 0]
    date = [0] * 10 + [1] * 10 + [2] * 10 + [3] * 4
    asset = list(range(10)) * 3 + [0, 1, 2, 3]
    return np.array(pred, float), np.array(label), np.array(date), np.array(asset)


def test_the_long_short_view_by_hand():
    pred, label, date, asset = hand_panel()
    out = long_short(pred, label, date, asset)
    daily = out["daily"]
    assert daily["date"] == [0, 1, 2, 3]
    assert daily["long"][:3] == pytest.approx([0.02, -0.005, 0.02])
    assert daily["short"][:3] == pytest.approx([-0.015, 0.01, -0.01])
    assert daily["long_short"][:3] == pytest.approx([0.035, -0.015, 0.03])
    assert math.isnan(daily["long_short"][3])
    summary = out["summary"]
    # mean 0.05 / 3; deviations 0.055 / 3, -0.095 / 3, 0.04 / 3: variance 0.0136500 / 9 / 2
    mean, std = 0.05 / 3, math.sqrt((0.055**2 + 0.095**2 + 0.04**2) / 9 / 2)
    assert summary["n_dates"] == 3 and summary["mean"] == pytest.approx(mean)
    assert summary["annualized_return"] == pytest.approx(252 * mean) == pytest.approx(4.2)
    assert summary["annualized_volatility"] == pytest.approx(std * math.sqrt(252))
    assert summary["sharpe"] == pytest.approx(mean / std * math.sqrt(252))
    # cumulative 0, 0.035, 0.020, 0.050: the fall from 0.035 to 0.020
    assert summary["max_drawdown"] == pytest.approx(-0.015)
    assert (summary["turnover_long"], summary["turnover_short"]) == pytest.approx((0.25, 0.75))
    assert summary["turnover"] == pytest.approx(0.5)


def test_a_five_date_label_is_held_over_five_dates():
    pred, label, date, asset = hand_panel()
    summary = long_short(torch.from_numpy(pred), label, date, asset, horizon=5)["summary"]
    mean, std = 0.05 / 3, math.sqrt((0.055**2 + 0.095**2 + 0.04**2) / 9 / 2)
    assert summary["mean"] == pytest.approx(mean)  # per 5 dates
    assert summary["annualized_return"] == pytest.approx(252 / 5 * mean) == pytest.approx(0.84)
    assert summary["annualized_volatility"] == pytest.approx(std * math.sqrt(252 / 5))
    assert summary["sharpe"] == pytest.approx(mean / std * math.sqrt(252 / 5))
    assert summary["max_drawdown"] == pytest.approx(-0.015 / 5)


def test_without_assets_no_turnover_and_per_target_horizons():
    pred, label, date, _ = hand_panel()
    out = long_short(pred, label, date)
    assert math.isnan(out["summary"]["turnover"]) and out["summary"]["n_dates"] == 3
    tables = long_short_tables(np.stack([pred, -pred], 1), np.stack([label, label], 1), date,
                               ["r1", "r2"], [1, 2])  # fmt: skip
    assert tables["r1"]["summary"]["mean"] == pytest.approx(0.05 / 3)
    assert tables["r2"]["horizon"] == 2 and tables["r2"]["summary"]["mean"] < 0
    with pytest.raises(ValueError, match="targets"):
        long_short_tables(pred, label, date, ["r1", "r2"], [1, 2])
    with pytest.raises(ValueError, match="quantiles"):
        long_short(pred, label, date, quantiles=1)
