"""The embedded synthetic panel: shape, determinism, planted signal strength, missing values."""

import datetime

import pytest
import torch

from fla_encoders.data import make_mock_panel
from fla_encoders.data.synthetic import simulate_mock
from fla_encoders.evaluation.metrics import pearson

SMALL = dict(n_dates=60, n_assets=50, n_features=734, num_targets=6, ic_perfect=0.12)


def test_shape_of_the_sete_mock_and_determinism():
    a = make_mock_panel(seed=3, n_dates=30, n_assets=20)
    b = make_mock_panel(seed=3, n_dates=30, n_assets=20)
    assert a.features.shape == (30, 20, 734) and a.labels.shape == (30, 20, 6)
    assert a.horizon == 6
    assert torch.equal(a.features.nan_to_num(7.0), b.features.nan_to_num(7.0))
    assert not torch.equal(
        a.features.nan_to_num(7.0), make_mock_panel(seed=4, n_dates=30, n_assets=20).features
    )


def test_a_perfect_knowledge_predictor_has_a_daily_ic_well_under_0_2():
    panel, signal, returns = simulate_mock(0, **SMALL)
    ics = [pearson(signal[d], returns[d]) for d in range(SMALL["n_dates"])]
    assert 0.08 < sum(ics) / len(ics) < 0.16
    # knowing the signal of every future date too, the cumulative targets stay as hard
    k = 5
    known = range(SMALL["n_dates"] - panel.horizon)
    future = [signal[d : d + k + 1].sum(0) for d in known]
    ics = torch.tensor([pearson(future[d], panel.labels[d, :, k].double()) for d in known])
    assert ics.nanmean() < 0.2


def test_assets_enter_and_leave_and_values_go_missing():
    panel = make_mock_panel(seed=0, n_dates=60, n_assets=50)
    present = panel.present
    assert not present.all(dim=0).all()  # some asset is absent on some date
    assert present.any(dim=0).all()  # every asset is listed at some point
    absent_labels = torch.isnan(panel.labels[present]).any(dim=1).float().mean()
    assert 0 < absent_labels < 0.5
    assert torch.isnan(panel.labels[-panel.horizon :]).all()  # the future is unknown


def test_mock_dates_are_business_days_and_its_numbers_are_those_of_before():
    panel = make_mock_panel(seed=0, n_dates=30, n_assets=20, n_features=8, regime_switching=True)
    assert panel.dates[:4] == ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06"]
    assert all(datetime.date.fromisoformat(d).weekday() < 5 for d in panel.dates)
    # sums of the panel when its dates were labels d0000..d0029
    assert float(panel.features.nan_to_num(0).double().sum()) == pytest.approx(
        -114.04766478436068, abs=1e-9
    )
    assert float(panel.labels.nan_to_num(0).double().sum()) == pytest.approx(
        -18.856031388393603, abs=1e-9
    )


def test_without_regimes_the_previous_shock_always_reverses():
    """The default planted signal is the regime-switching one with every regime at +1."""
    switching = simulate_mock(0, **SMALL, regime_switching=True)
    plain = simulate_mock(0, **SMALL)
    torch.testing.assert_close(plain[0].features, switching[0].features, equal_nan=True)
    assert not torch.allclose(plain[1], switching[1])
