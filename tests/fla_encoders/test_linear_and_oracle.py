"""The references that give a number its meaning: the ``linear`` encoder and the oracle."""

import torch

from fla_encoders import FLAEncoderFactory
from fla_encoders.data import BatchTimeSeriesDataset, PreparedPanel, make_mock_panel
from fla_encoders.data.synthetic import forward_sums, simulate_mock
from fla_encoders.evaluation.metrics import daily_ic
from fla_encoders.evaluation.oracle import oracle_predictions


def test_linear_sees_only_the_last_step():
    encoder = FLAEncoderFactory.create("linear", n_features=4, hidden_size=6).eval()
    x = torch.randn(3, 5, 4)
    changed = x.clone()
    changed[:, :-1] = torch.randn(3, 4, 4)
    encoded, info = encoder(x)
    assert encoded.shape == (3, 6) and info == {"encoder": "linear"}
    torch.testing.assert_close(encoder(changed)[0], encoded, rtol=0, atol=0)
    mask = torch.ones(3, 5)
    mask[0, :2] = 0
    torch.testing.assert_close(encoder(x, attention_mask=mask)[0], encoded, rtol=0, atol=0)


def test_the_oracle_scores_the_planted_signal_on_the_datasets_rows():
    panel = make_mock_panel(seed=3, n_dates=40, n_assets=30, n_features=5)
    dataset = BatchTimeSeriesDataset(PreparedPanel(panel), list(range(10, 30)), window=5)
    oracle = oracle_predictions(dataset)
    assert oracle.pred.shape == oracle.label.shape == (len(oracle.date), panel.labels.shape[2])
    d = 17
    assets = torch.nonzero(panel.present[d]).flatten()
    expected = daily_ic(
        panel.signal[d, assets, 0], panel.labels[d, assets, 0], torch.zeros(len(assets))
    )
    got = daily_ic(oracle.pred[:, 0], oracle.label[:, 0], oracle.date)
    assert got["ic"][got["date"] == d].item() == expected["ic"].item()
    assert 0.05 < oracle.metrics()["ret_1d"]["ic"] < 0.3  # the planted IC is about 0.12


def test_a_panel_without_a_planted_signal_has_no_oracle():
    panel = make_mock_panel(seed=0, n_dates=30, n_assets=10, n_features=3)
    panel.signal = None
    dataset = BatchTimeSeriesDataset(PreparedPanel(panel), list(range(10, 20)), window=5)
    assert oracle_predictions(dataset) is None


def test_forward_sums_by_hand():
    values = torch.tensor([[1.0], [2.0], [4.0], [8.0]])  # (D=4, N=1)
    sums = forward_sums(values, 2)
    assert sums[:2, 0].tolist() == [[1.0, 3.0], [2.0, 6.0]]
    assert torch.isnan(sums[2:]).all()  # the last K dates lack a future value


def test_the_planted_part_of_each_label_is_its_signal_without_noise():
    panel, signal, returns = simulate_mock(1, 30, 8, 3, 3, 0.5)
    d, k = 10, 2
    torch.testing.assert_close(
        panel.signal[d, :, k].double(), 0.01 * signal[d : d + k + 1].sum(0), rtol=1e-6, atol=1e-9
    )
    noise = panel.labels[d, :, k].double() - panel.signal[d, :, k].double()
    present = torch.isfinite(noise)
    torch.testing.assert_close(
        noise[present],
        (returns[d : d + k + 1].sum(0) - 0.01 * signal[d : d + k + 1].sum(0))[present]
        .float()
        .double(),
        rtol=1e-4,
        atol=1e-7,
    )
