"""Per-date cross-sectional normalisation and the missing-value policy."""

import pytest
import torch

from fla_encoders.data.normalize import (
    column_ranks,
    cross_sectional,
    fill_missing,
    normalize_columns,
)

nan = float("nan")


def test_rank_ties_share_the_average_and_map_onto_minus_one_one():
    block = torch.tensor([[1.0], [5.0], [5.0], [nan], [9.0]])
    assert column_ranks(block).flatten()[[0, 1, 2, 4]].tolist() == [0, 1.5, 1.5, 3]
    out = normalize_columns(block, "rank").flatten()
    assert out[[0, 1, 2, 4]].tolist() == pytest.approx([-1, 0, 0, 1])
    assert torch.isnan(out[3])


def test_zscore_and_constant_columns():
    block = torch.tensor([[1.0, 3.0], [3.0, 3.0], [nan, 3.0]])
    out = normalize_columns(block, "zscore")
    assert out[:2, 0].tolist() == [-1, 1] and torch.isnan(out[2, 0])
    assert out[:, 1].tolist() == [0, 0, 0]  # constant across assets -> 0
    with pytest.raises(ValueError, match="method"):
        normalize_columns(block, "minmax")


def test_cross_sectional_is_per_date_and_ignores_absent_assets():
    values = torch.tensor([[[1.0], [2.0], [100.0]], [[10.0], [30.0], [20.0]]])
    present = torch.tensor([[True, True, False], [True, True, True]])
    out = cross_sectional(values, present, "rank")
    assert out[0, :2].flatten().tolist() == [-1, 1] and torch.isnan(out[0, 2, 0])
    assert out[1].flatten().tolist() == [-1, 1, 0]


def test_fill_missing_fills_zero_and_flags():
    features = torch.tensor([[[1.0, nan]]])
    assert fill_missing(features, False).tolist() == [[[1.0, 0.0]]]
    assert fill_missing(features, True).tolist() == [[[1.0, 0.0, 0.0, 1.0]]]
