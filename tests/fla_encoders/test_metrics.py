"""IC metrics against hand-computed values, and scipy where it is installed."""

import math

import pytest
import torch

from fla_encoders.evaluation.metrics import daily_ic, ic_metrics, pearson, spearman, summarize

nan = float("nan")


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_pearson_by_hand():
    # x = 1,2,3; y = 1,2,4: centred x = -1,0,1, y = -4/3,-1/3,5/3; cov sum 3, var sums 2 and 14/3
    assert pearson(t(1, 2, 3), t(1, 2, 4)) == pytest.approx(3 / math.sqrt(2 * 14 / 3))


def test_spearman_with_ties_uses_average_ranks():
    # ranks x: 0, 1.5, 1.5, 3; y: 0, 2, 1, 3 -> centred x: -1.5, 0, 0, 1.5; y: -1.5, .5, -.5, 1.5
    expected = (1.5 * 1.5 + 1.5 * 1.5) / math.sqrt(4.5 * 5)
    assert spearman(t(1, 2, 2, 3), t(1, 3, 2, 4)) == pytest.approx(expected)


def test_undefined_cases_are_nan():
    assert math.isnan(pearson(t(1, 1, 1), t(1, 2, 3)))  # constant predictions
    assert math.isnan(spearman(t(5, 5, 5), t(1, 2, 3)))
    assert math.isnan(pearson(t(1), t(2)))  # a single asset
    assert math.isnan(pearson(t(1, nan), t(nan, 2)))  # no complete pair


def test_missing_labels_are_left_out():
    assert pearson(t(1, 2, 3, 9), t(1, 2, 4, nan)) == pytest.approx(pearson(t(1, 2, 3), t(1, 2, 4)))


def test_daily_ic_groups_by_date_and_summaries_skip_undefined_days():
    pred = t(1, 2, 3, 1, 2, 3, 7)
    label = t(1, 2, 4, 3, 2, 1, 5)
    date = torch.tensor([0, 0, 0, 1, 1, 1, 2])  # date 2 has one asset: no IC
    series = daily_ic(pred, label, date)
    assert series["date"].tolist() == [0, 1, 2]
    assert series["ic"][1] == pytest.approx(-1)
    assert math.isnan(series["ic"][2])
    summary = summarize(series["ic"])
    first = 3 / math.sqrt(2 * 14 / 3)
    mean = (first - 1) / 2
    std = math.sqrt(((first - mean) ** 2 + (-1 - mean) ** 2) / 1)  # ddof = 1
    assert summary == pytest.approx({"mean": mean, "std": std, "ir": mean / std})


def test_ic_metrics_per_target_and_averaged():
    pred = torch.stack([t(1, 2, 3, 1, 2, 3), t(3, 2, 1, 1, 2, 3)], dim=1)
    label = torch.stack([t(1, 2, 3, 1, 2, 4), t(1, 2, 3, 1, 2, 3)], dim=1)
    date = torch.tensor([0, 0, 0, 1, 1, 1])
    out = ic_metrics(pred, label, date, ["a", "b"])
    assert out["b"]["ic"] == pytest.approx(0.0)  # -1 then +1
    assert out["b"]["icir"] == pytest.approx(0.0)
    assert out["a"]["rank_ic"] == pytest.approx(1.0)
    assert math.isnan(out["a"]["rank_icir"])  # std 0
    assert out["mean"]["ic"] == pytest.approx((out["a"]["ic"] + out["b"]["ic"]) / 2)
    with pytest.raises(ValueError, match="pred, label"):
        ic_metrics(pred, label[:, :1], date, ["a", "b"])


def test_against_scipy_when_installed():
    stats = pytest.importorskip("scipy.stats")
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 5, (50,), generator=g).double()  # many ties
    y = torch.randn(50, generator=g, dtype=torch.float64)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x.numpy(), y.numpy())[0])
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x.numpy(), y.numpy())[0])
