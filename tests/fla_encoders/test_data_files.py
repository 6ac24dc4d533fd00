"""The user's own data: wide price and long panel files, on samples the tests write; what a
panel holds; the options of sources."""

import json
import math
import sys
from datetime import date, datetime

import pytest
import torch

from fla_encoders.data import (
    Panel,
    PanelFormatError,
    load_long_panel,
    load_panel,
    load_price_csv,
    load_prices,
    source_of,
)
from tests.fla_encoders.csv_readers import reader_fixture  # noqa: F401


def write_prices(path, n_dates=30, n_assets=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    steps = 0.01 * torch.randn(n_dates, n_assets, generator=g, dtype=torch.float64)
    prices = 100 * torch.exp(torch.cumsum(steps, 0))
    lines = ["date," + ",".join(f"A{n}" for n in range(n_assets))]
    for d in range(n_dates):
        cells = [f"{float(p):.6f}" for p in prices[d]]
        if d < 3:
            cells[0] = ""  # asset A0 enters on the fourth date
        lines.append(f"2024-01-{d + 1:02d}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_price_csv_features_and_labels(tmp_path):
    panel = load_price_csv(write_prices(tmp_path / "prices.csv"), lookback=5, horizons=(1, 3))
    assert panel.features.shape == (30, 4, 10) and panel.labels.shape == (30, 4, 2)
    assert panel.horizon == 3 and panel.assets == ["A0", "A1", "A2", "A3"]
    raw = [line.split(",") for line in (tmp_path / "prices.csv").read_text().split()[1:]]
    p = lambda d, n: float(raw[d][n + 1])  # noqa: E731
    d, n = 10, 2
    assert panel.features[d, n, 0] == pytest.approx(math.log(p(d - 1, n) / p(d, n)), abs=1e-6)
    assert panel.features[d, n, 5] == pytest.approx(math.log(p(d, n) / p(d - 1, n)), abs=1e-6)
    assert panel.labels[d, n, 1] == pytest.approx(math.log(p(d + 3, n) / p(d, n)), abs=1e-6)
    assert torch.isnan(panel.features[:3, 0]).all()  # not listed yet
    assert torch.isnan(panel.labels[-1]).all()


def test_price_features_use_only_data_up_to_the_window_end(tmp_path):
    path = write_prices(tmp_path / "prices.csv")
    original = load_price_csv(path, lookback=5)
    lines = path.read_text().splitlines()
    changed = lines[:21] + [line.replace(".", "9", 1) for line in lines[21:]]  # dates >= 20
    path.write_text("\n".join(changed) + "\n")
    altered = load_price_csv(path, lookback=5)
    same = lambda a, b: torch.equal(a.nan_to_num(-7.0), b.nan_to_num(-7.0))  # noqa: E731
    assert same(original.features[:20], altered.features[:20])
    assert not same(original.features[20:], altered.features[20:])


def test_price_csv_errors_name_the_argument(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("day,A\n2024-01-01,1\n")
    with pytest.raises(ValueError, match="date_column"):
        load_price_csv(path)
    with pytest.raises(ValueError, match="lookback"):
        load_price_csv(write_prices(tmp_path / "p.csv"), lookback=0)


def test_long_panel_csv(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "date,asset,f1,f2,label_1d\n2024-01-01,X,1,2,0.1\n2024-01-01,Y,3,,\n2024-01-02,Y,5,6,0.3\n"
    )
    panel = load_long_panel(path, horizon=1)
    assert panel.dates == ["2024-01-01", "2024-01-02"] and panel.assets == ["X", "Y"]
    assert panel.feature_names == ["f1", "f2"] and panel.target_names == ["label_1d"]
    assert panel.features[0, 1, 0] == 3 and torch.isnan(panel.features[0, 1, 1])
    assert torch.isnan(panel.labels[0, 1, 0])
    assert not panel.present[1, 0]  # X is absent on the second date
    assert load_panel("long", path=path, horizon=1).features.shape == (2, 2, 2)
    with pytest.raises(ValueError, match="label_columns"):
        load_long_panel(path, horizon=1, label_columns=["ret"])
    with pytest.raises(ValueError, match="source"):
        load_panel("excel", path=path)


def test_long_panel_parquet_when_pandas_and_pyarrow_are_installed(tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "long.parquet"
    frame = pandas.DataFrame(
        {
            "date": ["2024-01-02", "2024-01-02", "2024-01-03"],
            "asset": ["X", "Y", "Y"],
            "f1": [1.0, 3.0, 5.0],
            "label": [0.1, None, 0.3],
        }
    )
    frame.to_parquet(path)
    panel = load_long_panel(path, horizon=1)
    assert panel.features.shape == (2, 2, 1) and torch.isnan(panel.labels[0, 1, 0])


def test_a_panel_holds_increasing_iso_dates_and_distinct_assets():
    features, labels = torch.zeros(2, 2, 1), torch.zeros(2, 2, 1)
    made = dict(features=features, labels=labels, horizon=1, feature_names=["f"])
    panel = Panel(
        dates=[date(2024, 1, 2), datetime(2024, 1, 3)], assets=["X", 7], **made, target_names=["t"]
    )
    assert panel.dates == ["2024-01-02", "2024-01-03"] and panel.assets == ["X", "7"]
    assert json.loads(json.dumps(panel.dates)) == panel.dates
    with pytest.raises(ValueError, match=r"dates: expected increasing dates, got '2024-01-02'"):
        Panel(dates=["2024-01-03", "2024-01-02"], assets=["X", "Y"], **made, target_names=["t"])
    with pytest.raises(ValueError, match=r"dates\[1\]: 'd0001' is not a date"):
        Panel(dates=["2024-01-03", "d0001"], assets=["X", "Y"], **made, target_names=["t"])
    with pytest.raises(ValueError, match=r"assets: 'X' appears twice"):
        Panel(dates=["2024-01-02", "2024-01-03"], assets=["X", "X"], **made, target_names=["t"])


def test_sources_name_their_missing_options_and_are_told_apart(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("date,instrument,f1,label\n2024-01-02,X,1,2\n")
    with pytest.raises(ValueError, match=r"source 'long': missing a required argument: 'horizon'"):
        load_panel("long", path=path)
    with pytest.raises(ValueError, match=r"source 'mock': .*unexpected keyword .*'path'"):
        load_panel("mock", path=path)
    assert source_of(path) == "long" and source_of(write_prices(tmp_path / "p.csv")) == "prices"


def test_files_that_hold_no_panel_say_so(tmp_path, reader):
    path = tmp_path / "bad.csv"
    path.write_text("")
    with pytest.raises(PanelFormatError, match=r"bad.csv: the file is empty"):
        load_prices(path)
    path.write_text("date,A\n")
    with pytest.raises(PanelFormatError, match=r"bad.csv: no rows"):
        load_prices(path)
    path.write_bytes(b"date,A\n2024-01-02,\xff\n")
    with pytest.raises(PanelFormatError, match=r"bad.csv: not UTF-8"):
        load_prices(path)
    path.write_text(",date,asset,f1,label\n0,2024-01-02,X,1,2\n")
    with pytest.raises(PanelFormatError, match=r"column 1 of the header has no name .*to_csv"):
        load_long_panel(path, horizon=1)
    with pytest.raises(PanelFormatError, match=r"path: no file at"):
        load_prices(tmp_path / "absent.csv")


def test_a_wide_parquet_file_and_an_unnamed_index_column(tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    written = write_prices(tmp_path / "prices.csv")
    frame = pandas.read_csv(written, index_col=0)
    frame.index.name = None
    frame.to_csv(tmp_path / "unnamed.csv")  # header ",A0,A1,...": the index has no name
    frame.to_parquet(tmp_path / "prices.parquet")
    expected = load_prices(written, lookback=5)
    for path in (tmp_path / "unnamed.csv", tmp_path / "prices.parquet"):
        panel = load_prices(path, lookback=5)
        assert panel.dates == expected.dates and panel.assets == expected.assets
        assert torch.equal(panel.labels.nan_to_num(7.0), expected.labels.nan_to_num(7.0))
    assert source_of(tmp_path / "prices.parquet") == "prices"


def test_without_pandas_csv_is_read_and_parquet_asks_for_the_extra(tmp_path, monkeypatch):
    for module in ("pandas", "pyarrow", "pyarrow.csv", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # as in the base install: not importable
    panel = load_price_csv(write_prices(tmp_path / "prices.csv"), lookback=5)
    assert panel.features.shape == (30, 4, 10)
    (tmp_path / "long.parquet").write_bytes(b"PAR1")
    with pytest.raises(PanelFormatError, match=r"needs pandas and pyarrow: pip install"):
        load_long_panel(tmp_path / "long.parquet", horizon=1)
