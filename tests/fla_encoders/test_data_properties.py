"""Properties of the file and frame loaders on random small panels: what is written as a long
CSV, a wide CSV or a DataFrame (any supported date format, rows shuffled, cells missing) loads
as the panel built directly, dates in order; repeats are always refused; any text at all loads
or is refused with a ``PanelFormatError`` naming the file."""

import csv
import datetime
import io
import tempfile
from pathlib import Path

import pytest
import torch

from fla_encoders.data import PanelFormatError, load_long_panel, load_prices, price_panel
from tests.fla_encoders.csv_readers import reader_fixture  # noqa: F401

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
SETTINGS = hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)

# (how a date is written, the dayfirst that settles it where day and month could swap)
FORMATS = [
    (lambda d: d.isoformat(), None),
    (lambda d: f"{d.year}-{d.month}-{d.day}", None),
    (lambda d: d.strftime("%Y/%m/%d"), None),
    (lambda d: d.strftime("%Y%m%d"), None),
    (lambda d: d.strftime("%Y-%m-%d 00:00:00"), None),
    (lambda d: f"{d.day}/{d.month}/{d.year}", True),
    (lambda d: f"{d.month}/{d.day}/{d.year}", False),
    (lambda d: d.strftime("%d.%m.%Y"), True),
    (lambda d: d.strftime("%m/%d/%y"), False),
    (lambda d: d.strftime("%d %b %Y"), None),
    (lambda d: d.strftime("%B %d, %Y"), None),
]
MISSING = ["", "NaN", "NA", "nan", "null"]
DATES = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2060, 12, 31))
NAMES = st.text(alphabet="ABCKXYZ0123", min_size=1, max_size=3)
VALUES = st.one_of(st.none(), st.floats(width=32, allow_nan=False, allow_infinity=False))


@st.composite
def long_panels(draw):
    """``(rows, dates, assets, features (D, N, F), labels (D, N, K))``: rows of present
    pairs ``(date, asset, values)``, values ``None`` where missing."""
    dates = sorted(draw(st.lists(DATES, min_size=1, max_size=5, unique=True)))
    assets = sorted(draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)))
    n_features, n_labels = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    features = torch.full((len(dates), len(assets), n_features), float("nan"))
    labels = torch.full((len(dates), len(assets), n_labels), float("nan"))
    rows = []
    for d, date in enumerate(dates):
        for n, asset in enumerate(assets):
            if rows and not draw(st.booleans()):
                continue
            values = draw(
                st.lists(VALUES, min_size=n_features + n_labels, max_size=n_features + n_labels)
            )
            for k, value in enumerate(values):
                if value is not None:
                    (features if k < n_features else labels)[
                        d, n, k % n_features if k < n_features else k - n_features
                    ] = value
            rows.append((date, asset, values))
    present = [i for i in range(len(dates)) if any(r[0] == dates[i] for r in rows)]
    used_assets = sorted({r[1] for r in rows})
    keep = [assets.index(a) for a in used_assets]
    return (
        draw(st.permutations(rows)),
        [dates[i] for i in present],
        used_assets,
        features[present][:, keep],
        labels[present][:, keep],
        n_features,
    )


def cell(value, draw_missing) -> str:
    return draw_missing() if value is None else repr(value)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.equal(a.nan_to_num(-7.0), b.nan_to_num(-7.0))


def write_csv(path: Path, records) -> Path:
    """``records`` (lists of cells) written as CSV, quoted where needed."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(records)
    path.write_text(text.getvalue())
    return path


def write_long_csv(folder: Path, rows, n_features, write_date, missing) -> Path:
    n_labels = len(rows[0][2]) - n_features
    header = ["date", "asset"] + [f"f{i}" for i in range(n_features)]
    header += [f"label{i}" for i in range(n_labels)]
    records = [
        [write_date(date), asset] + [cell(v, missing) for v in values]
        for date, asset, values in rows
    ]
    return write_csv(folder / "long.csv", [header] + records)


@SETTINGS
@hypothesis.given(panel=long_panels(), style=st.sampled_from(FORMATS), data=st.data())
def test_a_long_csv_loads_as_the_panel_it_was_written_from(reader, panel, style, data):
    rows, dates, assets, features, labels, n_features = panel
    write_date, dayfirst = style
    missing = lambda: data.draw(st.sampled_from(MISSING))  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        path = write_long_csv(Path(folder), rows, n_features, write_date, missing)
        loaded = load_long_panel(path, horizon=1, dayfirst=dayfirst)
        try:  # unsettled, the column tells day from month, or the load is refused
            unsettled = load_long_panel(path, horizon=1)
        except PanelFormatError as exc:
            assert dayfirst is not None and "is ambiguous" in str(exc)
        else:
            assert unsettled.dates == loaded.dates
    assert loaded.dates == [d.isoformat() for d in dates] and loaded.assets == assets
    assert same(loaded.features, features) and same(loaded.labels, labels)


@SETTINGS
@hypothesis.given(panel=long_panels(), as_index=st.booleans(), stamps=st.booleans())
def test_a_long_frame_loads_as_the_panel_it_was_built_from(panel, as_index, stamps):
    pandas = pytest.importorskip("pandas")
    rows, dates, assets, features, labels, n_features = panel
    n_labels = len(rows[0][2]) - n_features
    frame = pandas.DataFrame(
        [[date.isoformat(), asset, *values] for date, asset, values in rows],
        columns=["date", "asset"]
        + [f"f{i}" for i in range(n_features)]
        + [f"label{i}" for i in range(n_labels)],
    )
    if stamps:
        frame["date"] = pandas.to_datetime(frame["date"])
    if as_index:
        frame = frame.set_index(["date", "asset"])
    loaded = load_long_panel(frame, horizon=1)
    assert loaded.dates == [d.isoformat() for d in dates] and loaded.assets == assets
    assert same(loaded.features, features) and same(loaded.labels, labels)


@SETTINGS
@hypothesis.given(panel=long_panels(), data=st.data())
def test_a_repeated_date_and_asset_is_always_refused(reader, panel, data):
    rows, _, _, _, _, n_features = panel
    again = data.draw(st.sampled_from(rows))
    rows = rows + [(again[0], again[1], data.draw(st.permutations(again[2])))]
    with tempfile.TemporaryDirectory() as folder:
        path = write_long_csv(Path(folder), rows, n_features, datetime.date.isoformat, str)
        with pytest.raises(PanelFormatError, match=r"long.csv: date .* appears twice: line"):
            load_long_panel(path, horizon=1)


@st.composite
def wide_prices(draw):
    dates = draw(st.lists(DATES, min_size=1, max_size=6, unique=True))
    assets = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    price = st.one_of(st.none(), st.floats(0.25, 1e4, width=32))
    table = draw(
        st.lists(
            st.lists(price, min_size=len(assets), max_size=len(assets)),
            min_size=len(dates),
            max_size=len(dates),
        )
    )
    return dates, assets, table


@SETTINGS
@hypothesis.given(prices=wide_prices(), style=st.sampled_from(FORMATS), data=st.data())
def test_a_wide_csv_loads_as_the_price_panel_of_its_sorted_dates(reader, prices, style, data):
    dates, assets, table = prices
    write_date, dayfirst = style
    missing = lambda: data.draw(st.sampled_from(MISSING))  # noqa: E731
    records = [["Date"] + assets] + [
        [write_date(date)] + [cell(p, missing) for p in row] for date, row in zip(dates, table)
    ]
    order = sorted(range(len(dates)), key=dates.__getitem__)
    values = torch.tensor(
        [[float("nan") if p is None else p for p in table[i]] for i in order], dtype=torch.float64
    ).reshape(len(dates), len(assets))
    expected = price_panel([dates[i].isoformat() for i in order], assets, values, 2, (1, 2))
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "prices.csv", records)
        loaded = load_prices(path, lookback=2, horizons=(1, 2), dayfirst=dayfirst)
    assert loaded.dates == expected.dates and loaded.assets == assets
    assert same(loaded.features, expected.features) and same(loaded.labels, expected.labels)


CELLS = st.sampled_from(
    [
        "",
        "1",
        "-2.5e3",
        "abc",
        "NaN",
        "inf",
        "1e39",
        "2024-01-02",
        "2024-1-3",
        "1/5/2024",
        "13/1/2024",
        "X",
        '"q,uoted"',
        '"',
        "date",
        "asset",
        "label",
        " ",
        "\u00e9",
        "1_0",
    ]
)
LINES = st.lists(st.lists(CELLS, min_size=1, max_size=5).map(",".join), max_size=6)


@SETTINGS
@hypothesis.given(header=st.sampled_from(["date,asset,f,label", "Date,A,B", "date,A"]), lines=LINES)
def test_any_text_loads_or_is_refused_naming_the_file(reader, header, lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.csv"
        path.write_text("\n".join([header] + lines) + "\n")
        for load in (lambda: load_long_panel(path, horizon=1), lambda: load_prices(path)):
            try:
                load()
            except PanelFormatError as exc:
                assert str(path) in str(exc)
