"""Windows batched by date, and the leakage guarantees of the chronological splits."""

import pytest
import torch

from fla_encoders.data import (
    BatchTimeSeriesDataset,
    Panel,
    PreparedPanel,
    chronological_splits,
    make_mock_panel,
)


def small_panel() -> Panel:
    return make_mock_panel(seed=1, n_dates=80, n_assets=30, n_features=12)


def test_splits_are_ordered_with_a_gap_of_the_horizon():
    window, horizon = 5, 6
    splits = chronological_splits(80, window, horizon)
    assert splits["train"][0] == window - 1
    assert splits["test"][-1] == 80 - 1 - horizon
    for earlier, later in (("train", "valid"), ("valid", "test")):
        last, first = splits[earlier][-1], splits[later][0]
        # the labels of `earlier` use dates up to last + horizon: all before any label of `later`
        labelled_earlier = set(range(splits[earlier][0] + 1, last + horizon + 1))
        labelled_later = set(range(first + 1, splits[later][-1] + horizon + 1))
        assert not labelled_earlier & labelled_later
        assert last + horizon < first + 1  # known by the first end date of `later`
    with pytest.raises(ValueError, match="n_dates"):
        chronological_splits(12, window, horizon)


def test_training_labels_never_reach_into_later_splits_on_real_data():
    panel = small_panel()
    prepared = PreparedPanel(panel)
    splits = chronological_splits(len(panel.dates), 5, panel.horizon)
    train = BatchTimeSeriesDataset(prepared, splits["train"], window=5)
    last_train_date = max(int(train[i]["date"].max()) for i in range(len(train)))
    # training inputs end on last_train_date, training labels on last_train_date + horizon;
    # the first label of valid (and test) starts after its first end date
    for later in ("valid", "test"):
        assert last_train_date + panel.horizon < splits[later][0] + 1


def test_a_batch_holds_whole_dates():
    panel = small_panel()
    prepared = PreparedPanel(panel)
    ds = BatchTimeSeriesDataset(prepared, list(range(10, 20)), window=5, dates_per_batch=3)
    assert len(ds) == 4
    batch = ds[0]
    assert batch["x"].shape[1:] == (5, 12) and batch["y"].shape[1] == 6
    for d in (10, 11, 12):
        assert int((batch["date"] == d).sum()) == int(prepared.present[d].sum())
    assert torch.equal(batch["x"][0], prepared.inputs[6:11, batch["asset"][0]])


def test_shuffling_future_rows_does_not_change_past_windows():
    panel = small_panel()
    cut = 40
    shuffled = panel.features.clone()
    order = torch.randperm(len(panel.dates) - cut, generator=torch.Generator().manual_seed(0))
    shuffled[cut:] = panel.features[cut:][order]
    other = Panel(**{**panel.__dict__, "features": shuffled})
    before = BatchTimeSeriesDataset(PreparedPanel(panel), list(range(4, cut)), window=5)
    after = BatchTimeSeriesDataset(PreparedPanel(other), list(range(4, cut)), window=5)
    for i in range(len(before)):
        assert torch.equal(before[i]["x"], after[i]["x"])


def test_bad_arguments_name_themselves():
    prepared = PreparedPanel(small_panel())
    with pytest.raises(ValueError, match="end_dates"):
        BatchTimeSeriesDataset(prepared, [2], window=5)
    with pytest.raises(ValueError, match="window"):
        BatchTimeSeriesDataset(prepared, [10], window=0)
