"""pandas in and out: long, Qlib-style and wide DataFrames (and Parquet) to panels with the
checks of files, and predictions back to a (datetime, instrument) frame."""

import sys

import pytest
import torch
from torch import nn

from fla_encoders.data import (
    BatchTimeSeriesDataset,
    PanelFormatError,
    PreparedPanel,
    load_long_panel,
    load_panel,
    load_prices,
)
from fla_encoders.evaluation.predict import Predictions, predict

pandas = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

NAN = float("nan")


def long_frame() -> "pandas.DataFrame":
    """Three dates (out of order), two assets, one pair absent, one feature missing."""
    return pandas.DataFrame(
        {
            "date": ["2024-01-03", "2024-01-02", "2024-01-02", "2024-01-04", "2024-01-04"],
            "asset": ["X", "Y", "X", "X", "Y"],
            "f1": [3.0, 2.0, 1.0, 5.0, NAN],
            "f2": [30.0, 20.0, 10.0, 50.0, 60.0],
            "label_1d": [0.3, 0.2, 0.1, NAN, 0.6],
        }
    )


def same(a, b) -> bool:
    return torch.equal(a.nan_to_num(-7.0), b.nan_to_num(-7.0))


def expected_features() -> torch.Tensor:
    return torch.tensor(
        [
            [[1.0, 10.0], [2.0, 20.0]],
            [[3.0, 30.0], [NAN, NAN]],
            [[5.0, 50.0], [NAN, 60.0]],
        ]
    )


def test_a_long_frame_with_columns_or_a_date_asset_index(tmp_path):
    frame = long_frame()
    by_columns = load_long_panel(frame, horizon=1)
    assert by_columns.dates == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert by_columns.assets == ["X", "Y"] and by_columns.feature_names == ["f1", "f2"]
    assert same(by_columns.features, expected_features())
    indexed = frame.assign(date=pandas.to_datetime(frame["date"])).set_index(["date", "asset"])
    by_index = load_long_panel(indexed, horizon=1)
    assert by_index.dates == by_columns.dates and same(by_index.features, by_columns.features)
    frame.to_csv(tmp_path / "long.csv", index=False)
    from_csv = load_long_panel(tmp_path / "long.csv", horizon=1)
    assert same(from_csv.features, by_columns.features) and same(from_csv.labels, by_columns.labels)
    indexed.to_parquet(tmp_path / "long.parquet")
    from_parquet = load_panel("long", path=tmp_path / "long.parquet", horizon=1)
    assert from_parquet.dates == by_columns.dates and same(from_parquet.labels, by_columns.labels)


def test_qlibs_two_level_columns():
    frame = long_frame()
    index = pandas.MultiIndex.from_arrays(
        [pandas.to_datetime(frame["date"]), frame["asset"]], names=["datetime", "instrument"]
    )
    columns = pandas.MultiIndex.from_tuples(
        [("feature", "KMID"), ("feature", "KLEN"), ("label", "LABEL0")]
    )
    qlib = pandas.DataFrame(
        frame[["f1", "f2", "label_1d"]].to_numpy(), index=index, columns=columns
    )
    panel = load_long_panel(qlib, horizon=2)
    assert panel.feature_names == ["KMID", "KLEN"] and panel.target_names == ["LABEL0"]
    assert same(panel.features, expected_features()) and panel.horizon == 2
    bad = qlib.copy()
    bad.columns = pandas.MultiIndex.from_tuples([("feature", "a"), ("x", "b"), ("label", "c")])
    with pytest.raises(PanelFormatError, match="Qlib's layout"):
        load_long_panel(bad, horizon=1)


def test_frames_are_checked_as_files_are():
    frame = long_frame()
    with pytest.raises(
        PanelFormatError, match=r"DataFrame: date 2024-01-02 with asset 'X' appears"
    ):
        load_long_panel(pandas.concat([frame, frame.iloc[[2]]]), horizon=1)
    text = frame.astype({"f1": object})
    text.loc[3, "f1"] = "n/a?"
    with pytest.raises(PanelFormatError, match=r"DataFrame, row 3, column 'f1': 'n/a\?' is not a"):
        load_long_panel(text, horizon=1)
    dated = frame.assign(date=pandas.to_datetime(frame["date"]))
    dated.loc[1, "date"] = pandas.NaT
    with pytest.raises(PanelFormatError, match=r"DataFrame, row 1, column 'date': missing"):
        load_long_panel(dated, horizon=1)
    with pytest.raises(PanelFormatError, match=r"row 2, column 'f2': 1e\+40 does not fit float32"):
        load_long_panel(frame.assign(f2=[1.0, 2.0, 1e40, 4.0, 5.0]), horizon=1)
    with pytest.raises(PanelFormatError, match=r"row 0, column 'date': '1/3/2024' is ambiguous"):
        load_long_panel(frame.assign(date=["1/3/2024", "1/2/2024"] * 2 + ["1/4/2024"]), horizon=1)


def test_a_wide_price_frame_with_a_date_index_named_or_not():
    dates = pandas.date_range("2024-01-01", periods=6, freq="B")
    prices = pandas.DataFrame({"AAA": [10.0, 11, 12, 13, 14, 15], "BBB": [5.0, 4, 3, 4, 5, 6]})
    prices.index = dates[::-1]  # newest first, as some exports are
    unnamed = load_prices(prices, lookback=1, horizons=(1,))
    assert unnamed.dates == [d.date().isoformat() for d in dates]
    assert unnamed.labels[0, 0, 0].item() == pytest.approx(
        torch.log(torch.tensor(14 / 15.0)).item()
    )
    named = load_prices(prices.rename_axis("Date"), lookback=1, horizons=(1,))
    assert named.dates == unnamed.dates and same(named.labels, unnamed.labels)
    columns = load_prices(prices.rename_axis("Date").reset_index(), lookback=1, horizons=(1,))
    assert same(columns.features, unnamed.features)
    with pytest.raises(PanelFormatError, match="date 2024-01-01 appears twice: row 5 and row 6"):
        load_prices(pandas.concat([prices, prices.iloc[[5]]]), lookback=1)


def test_intraday_and_timezone_aware_dates():
    stamps = pandas.date_range("2024-01-02 09:30", periods=3, freq="30min", tz="America/New_York")
    prices = pandas.DataFrame({"A": [1.0, 2.0, 3.0]}, index=stamps)
    panel = load_prices(prices, lookback=1, horizons=(1,))
    assert panel.dates == ["2024-01-02T14:30:00", "2024-01-02T15:00:00", "2024-01-02T15:30:00"]


class LastStep(nn.Module):
    """Scores each asset with the last step of its first input column."""

    def forward(self, x):
        return x[:, -1, :1], {}


def test_a_frame_round_trip_to_scores_per_datetime_and_instrument():
    frame = long_frame().set_index(["date", "asset"])
    prepared = PreparedPanel(load_long_panel(frame, horizon=1), "none", "none")
    dataset = BatchTimeSeriesDataset(prepared, [1, 2], window=2)
    scores = predict(LastStep(), dataset).to_frame()
    assert list(scores.index.names) == ["datetime", "instrument"]
    assert list(scores.columns) == ["label_1d"]
    assert str(scores.index.levels[0].dtype).startswith("datetime64")
    expected = pandas.DataFrame(
        {"label_1d": [3.0, 5.0, 0.0]},  # Y's f1 is missing on 2024-01-04: filled with 0
        index=pandas.MultiIndex.from_tuples(
            [
                (pandas.Timestamp("2024-01-03"), "X"),
                (pandas.Timestamp("2024-01-04"), "X"),
                (pandas.Timestamp("2024-01-04"), "Y"),
            ],
            names=["datetime", "instrument"],
        ),
    )
    pandas.testing.assert_frame_equal(scores, expected, check_index_type=False)
    alphalens_factor = scores["label_1d"]  # a Series on (date, asset), as alphalens takes
    assert alphalens_factor.loc[(pandas.Timestamp("2024-01-04"), "X")] == 5.0


def test_predictions_without_the_panel_s_names_cannot_make_a_frame():
    bare = Predictions(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1), torch.zeros(1), ["t"])
    with pytest.raises(ValueError, match="to_frame"):
        bare.to_frame()


def test_to_frame_without_pandas_asks_for_the_extra(monkeypatch):
    prepared = PreparedPanel(load_long_panel(long_frame(), horizon=1))
    predictions = predict(LastStep(), BatchTimeSeriesDataset(prepared, [1], window=2))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"fla-encoders\[pandas\]"):
        predictions.to_frame()
