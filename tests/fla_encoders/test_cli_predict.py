"""``fla-encoders predict`` and ``--data``: scores of a trained model per date and asset, and a
model applied to another source than it was trained on."""

import pytest

from fla_encoders.cli import data_overrides, main

pandas = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

SMALL = {
    "data.options.n_dates": 60,
    "data.options.n_assets": 12,
    "data.options.n_features": 8,
    "model.hidden_size": 8,
    "model.prediction_hidden": [8],
    "model.encoder_kwargs.num_layers": 1,
    "training.epochs": 1,
}
SETTINGS = [arg for key, value in SMALL.items() for arg in ("--set", f"{key}={value}")]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--config", "baseline_gru", "--out", str(out), *SETTINGS]) == 0
    return out / "model.pt"


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_predict_writes_scores_per_datetime_and_instrument(trained, tmp_path, suffix, capsys):
    out = tmp_path / f"scores{suffix}"
    assert main(["predict", "--model", str(trained), "--out", str(out)]) == 0
    if suffix == ".csv":
        scores = pandas.read_csv(out, index_col=[0, 1], parse_dates=[0])
    else:
        scores = pandas.read_parquet(out)
    assert list(scores.index.names) == ["datetime", "instrument"]
    assert list(scores.columns) == [f"ret_{k}d" for k in range(1, 7)]
    assert scores.index.is_unique and scores.index.is_monotonic_increasing
    assert scores.index.get_level_values(0).min() >= pandas.Timestamp("2020-01-01")
    assert f"wrote {len(scores)} scores (test split)" in capsys.readouterr().out


def test_predict_refuses_an_unknown_output_format(trained, tmp_path):
    with pytest.raises(ValueError, match=r"\.parquet or \.csv"):
        main(["predict", "--model", str(trained), "--out", str(tmp_path / "scores.xlsx")])


def write_prices(path, n_dates=80):
    lines = ["Date,A,B,C"] + [
        f"2024-{1 + d // 28:02d}-{1 + d % 28:02d},{100 + d % 7},{50 + d % 5},{20 + d % 3}"
        for d in range(n_dates)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_model_on_another_source_gets_its_options_replaced_and_a_clear_error(trained, tmp_path):
    prices = write_prices(tmp_path / "prices.csv")
    with pytest.raises(SystemExit, match=r"trained on 8 features and 6 targets; this data has 40"):
        main(["evaluate", "--model", str(trained), "--data", str(prices)])


def test_data_overrides_replace_options_only_when_the_source_changes(tmp_path):
    prices = str(write_prices(tmp_path / "prices.csv"))
    mock = {"data": {"source": "mock", "options": {"n_dates": 60}}}
    assert data_overrides(prices, mock) == [
        'data.source="prices"',
        f'data.options={{"path": "{prices}"}}',
    ]
    assert data_overrides("mock", mock) == []
    assert data_overrides("mock", {"data": {"source": "prices"}}) == [
        'data.source="mock"',
        "data.options={}",
    ]
    long = {"data": {"source": "long", "options": {"path": "old.csv", "horizon": 5}}}
    (tmp_path / "long.csv").write_text("date,instrument,f,label\n2024-01-02,X,1,2\n")
    assert data_overrides(str(tmp_path / "long.csv"), long) == [
        f'data.options.path="{tmp_path / "long.csv"}"'
    ]
