"""Files that were read silently wrong: dates sorted as text, repeated rows or columns, and
cells or rows that are not what the header says. Each is read right or refused, naming the
file, the line and the column; with either CSV reader."""

import pytest
import torch

from fla_encoders.data import load_long_panel, load_price_csv
from tests.fla_encoders.csv_readers import reader_fixture  # noqa: F401

LONG_HEADER = "date,asset,f1,label_1d\n"


def write(tmp_path, text, name="panel.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def long_csv(tmp_path, rows):
    return write(tmp_path, LONG_HEADER + "".join(f"{row}\n" for row in rows))


@pytest.mark.parametrize(
    "written, expected",
    [
        (["2024-1-10", "2024-1-2", "2024-1-9"], ["2024-01-02", "2024-01-09", "2024-01-10"]),
        (["1/10/2024", "1/13/2024", "1/5/2024"], ["2024-01-05", "2024-01-10", "2024-01-13"]),
        (["10/1/2024", "13/1/2024", "5/1/2024"], ["2024-01-05", "2024-01-10", "2024-01-13"]),
        (["20240110", "20231231", "20240102"], ["2023-12-31", "2024-01-02", "2024-01-10"]),
        (["10 Jan 2024", "2 Feb 2024", "9 Jan 2024"], ["2024-01-09", "2024-01-10", "2024-02-02"]),
    ],
)
def test_long_dates_are_sorted_as_dates(tmp_path, reader, written, expected):
    rows = [f"{date},X,{i},{i / 10}" for i, date in enumerate(written)]
    panel = load_long_panel(long_csv(tmp_path, rows), horizon=1)
    assert panel.dates == expected


def test_long_rows_follow_their_dates_after_sorting(tmp_path, reader):
    path = long_csv(tmp_path, ["2024-1-10,X,10,0.1", "2024-1-2,X,2,0.2", "2024-1-9,X,9,0.3"])
    panel = load_long_panel(path, horizon=1)
    assert panel.dates == ["2024-01-02", "2024-01-09", "2024-01-10"]
    assert panel.features[:, 0, 0].tolist() == [2, 9, 10]


def test_price_dates_are_sorted_as_dates(tmp_path, reader):
    path = write(tmp_path, "date,A\n1/10/2024,110\n1/13/2024,113\n1/5/2024,105\n1/9/2024,109\n")
    panel = load_price_csv(path, lookback=1, horizons=(1,))
    assert panel.dates == ["2024-01-05", "2024-01-09", "2024-01-10", "2024-01-13"]
    assert panel.labels[0, 0, 0].item() == pytest.approx(
        torch.log(torch.tensor(109 / 105.0)).item()
    )


@pytest.mark.parametrize("load", ["long", "prices"])
def test_day_and_month_the_column_cannot_tell_are_refused_naming_the_line(tmp_path, reader, load):
    if load == "long":
        path = long_csv(tmp_path, ["1/5/2024,X,1,0.1", "1/6/2024,X,2,0.2"])
        read = lambda **kw: load_long_panel(path, horizon=1, **kw)  # noqa: E731
    else:
        path = write(tmp_path, "date,A\n1/5/2024,1\n1/6/2024,2\n")
        read = lambda **kw: load_price_csv(path, lookback=1, horizons=(1,), **kw)  # noqa: E731
    with pytest.raises(ValueError, match=r"panel.csv, line 2, column 'date': '1/5/2024' is ambig"):
        read()
    assert read(dayfirst=True).dates == ["2024-05-01", "2024-06-01"]
    assert read(dayfirst=False).dates == ["2024-01-05", "2024-01-06"]
    assert read(date_format="%d/%m/%Y").dates == ["2024-05-01", "2024-06-01"]


LONG = LONG_HEADER + "2024-01-02,X,1,0.1\n"  # a good first row, then the one on line 3
REFUSED = [  # (source, its text, what the message says)
    ("long", LONG + "someday,X,2,0.2\n", r"line 3, column 'date': 'someday' is not a date"),
    ("long", LONG + "03/01/2024,X,2,0.2\n", r"line 3, column 'date': .* not written like the"),
    ("long", LONG + ",Y,2,0.2\n", r"line 3, column 'date': missing"),
    ("long", LONG + "2024-01-03,,2,0.2\n", r"line 3, column 'asset': missing"),
    ("prices", "date,A\n2024-01-02,1\nJanuary,2\n", r"line 3, column 'date': 'January' is not"),
    (
        "long",
        LONG + "2024-01-02,Y,2,0.2\n2024-1-2,X,3,0.3\n",
        r"panel.csv: date 2024-01-02 with asset 'X' appears twice: line 2 and line 4",
    ),
    (
        "prices",
        "date,A,B\n2024-01-02,1,2\n2024-01-03,1,2\n2024-01-02,3,4\n",
        r"panel.csv: date 2024-01-02 appears twice: line 2 and line 4",
    ),
    ("prices", "date,A,B,A\n2024-01-02,1,2,3\n", r"panel.csv: columns 2 and 4 are both named 'A'"),
    ("long", "date,asset,f1,f1,label\n2024-01-02,X,1,2,3\n", r"columns 3 and 4 are both named"),
    ("long", LONG + "2024-01-03,X,abc,0.2\n", r"panel.csv, line 3, column 'f1': 'abc' is not a"),
    ("prices", 'date,A,B\n2024-01-02,1,2\n2024-01-03,1,"1,5"\n', r"line 3, column 'B': '1,5' is"),
    ("long", LONG + "2024-01-03,X,2,0.2,7\n", r"panel.csv, line 3: 5 fields, but the header has 4"),
    ("long", LONG + "\n2024-01-03,X,2\n", r"panel.csv, line 4: 3 fields, but the header has 4"),
    ("long", LONG + "2024-01-03,X,1e39,0.2\n", r"line 3, column 'f1': 1e\+39 does not fit float32"),
    ("long", LONG + "2024-01-03,X,1,-inf\n", r"line 3, column 'label_1d': -inf is not finite"),
    ("prices", "date,A\n2024-01-02,1\n2024-01-03,-3.5e38\n", r"line 3, column 'A': -3.5e\+38 do"),
]


@pytest.mark.parametrize("source, text, message", REFUSED)
def test_bad_input_is_refused_naming_file_line_and_column(tmp_path, reader, source, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        if source == "long":
            load_long_panel(path, horizon=1)
        else:
            load_price_csv(path)


def test_a_date_format_that_does_not_fit_is_refused(tmp_path, reader):
    with pytest.raises(ValueError, match=r"line 2, .* does not match date_format '%d.%m.%Y'"):
        load_long_panel(write(tmp_path, LONG), horizon=1, date_format="%d.%m.%Y")


def test_blank_and_pandas_missing_markers_are_nan(tmp_path, reader):
    path = long_csv(tmp_path, ["2024-01-02,X,,NA", "2024-01-02,Y,NaN,null", "2024-01-02,Z,1, "])
    panel = load_long_panel(path, horizon=1)
    assert torch.isnan(panel.labels).all() and panel.present.tolist() == [[False, False, True]]


def test_quoted_headers_and_blank_lines_are_read(tmp_path, reader):
    path = write(tmp_path, '"date","asset","f1","label_1d"\n\n"2024-01-02","X","1.5",""\n\n')
    panel = load_long_panel(path, horizon=1)
    assert panel.dates == ["2024-01-02"] and panel.features.flatten().tolist() == [1.5]


def test_the_asset_column_is_found_by_its_usual_names_or_named(tmp_path, reader):
    path = write(tmp_path, "Date,Ticker,f1,label\n2024-01-02,X,1,0.1\n")
    assert load_long_panel(path, horizon=1).assets == ["X"]
    path = write(tmp_path, "date,stock,f1,label\n2024-01-02,X,1,0.1\n")
    with pytest.raises(ValueError, match=r"no column named 'asset' .*asset_column.*'stock'"):
        load_long_panel(path, horizon=1)
    assert load_long_panel(path, horizon=1, asset_column="stock").assets == ["X"]


def test_the_date_column_is_found_without_settings_or_the_columns_are_listed(tmp_path, reader):
    for name in ("date", "Date", "DATETIME", "timestamp"):
        path = write(tmp_path, f"{name},A\n2024-01-02,1\n2024-01-03,2\n")
        assert load_price_csv(path, lookback=1, horizons=(1,)).dates[0] == "2024-01-02"
    path = write(tmp_path, "day,A\n2024-01-02,1\n")
    with pytest.raises(ValueError, match=r"no column named 'date' .* columns: \['day', 'A'\]"):
        load_price_csv(path)
    path = write(tmp_path, "date,timestamp,A\n2024-01-02,2024-01-02,1\n")
    with pytest.raises(ValueError, match=r"several columns .* \['date', 'timestamp'\]"):
        load_price_csv(path)


def test_skfolio_style_prices_need_no_settings(tmp_path, reader):
    # skfolio's S&P 500 sample: a wide CSV whose first column is `Date`, then one per ticker
    text = "Date,AAPL,AMD,BAC\n1990-01-02,0.332589,4.125,4.434\n1990-01-03,0.334821,4.0,4.5\n"
    text += "1990-01-04,0.335938,3.9375,4.45\n1990-01-05,0.337054,3.8125,4.41\n"
    panel = load_price_csv(write(tmp_path, text, "sp500.csv"), lookback=1, horizons=(1,))
    assert panel.assets == ["AAPL", "AMD", "BAC"] and panel.dates[0] == "1990-01-02"
    assert panel.labels[0, 1, 0].item() == pytest.approx(
        torch.log(torch.tensor(4.0 / 4.125)).item()
    )
