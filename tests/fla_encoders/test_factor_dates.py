"""fla_encoders.evaluation.factor takes the dates as alphalens' frame gives them (datetimes),
not only as panel indices: the same tables either way."""

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("scipy")
pytest.importorskip("statsmodels")

from fla_encoders.evaluation.factor import information_tables, long_short  # noqa: E402


def test_datetimes_and_panel_indices_give_the_same_tables():
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2024-01-01", periods=12)
    codes = np.repeat(np.arange(12), 10)
    label = rng.standard_normal(120)
    pred = label + rng.standard_normal(120)
    asset = np.tile([f"A{i}" for i in range(10)], 12)
    by_index = information_tables(pred, label, codes)
    for dates in (days[codes], np.asarray(days[codes]), [str(d) for d in days[codes]]):
        assert information_tables(pred, label, dates) == by_index
    view = long_short(pred, label, days[codes], asset)
    assert (
        view["daily"]["long_short"] == long_short(pred, label, codes, asset)["daily"]["long_short"]
    )
