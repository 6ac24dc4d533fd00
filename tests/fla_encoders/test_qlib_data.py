"""fla_encoders.contrib.qlib_data: frames in Qlib's layout become the windows that Qlib's GRU
models take (rows reshaped as pytorch_gru does; windows filled as TSDataSampler's
"ffill+bfill"). Against Qlib itself: tests/fla_encoders/test_qlib.py (slow)."""

import math

import pytest

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

import torch  # noqa: E402

from fla_encoders.contrib.qlib_data import (  # noqa: E402
    FilledWindows,
    RowWindows,
    dates_from,
    filled_steps,
    qlib_panel,
)
from fla_encoders.data.dataset import PreparedPanel  # noqa: E402

FIELDS = ("CLOSE", "OPEN", "HIGH")


def qlib_frame(features: pd.DataFrame, label=None) -> pd.DataFrame:
    """Qlib's two column levels of ``features`` (and ``label``)."""
    groups = {"feature": features}
    if label is not None:
        groups["label"] = label.to_frame("LABEL0")
    return pd.concat(groups, axis=1)


def index(n_dates: int, instruments) -> pd.MultiIndex:
    dates = pd.bdate_range("2024-01-01", periods=n_dates)
    return pd.MultiIndex.from_product([dates, instruments], names=["datetime", "instrument"])


def prepared(frame: pd.DataFrame) -> PreparedPanel:
    return PreparedPanel(qlib_panel(frame), "none", "none")


def test_rows_become_steps_of_d_feat_fields_oldest_first():
    rows = index(2, ["SH1", "SH2"])
    names = [f"{field}{lag}" for field in FIELDS for lag in (3, 2, 1, 0)]  # Alpha360's order
    values = np.arange(len(rows) * len(names), dtype=float).reshape(len(rows), -1)
    frame = qlib_frame(pd.DataFrame(values, index=rows, columns=names), pd.Series(1.0, rows))
    windows = RowWindows(prepared(frame), [0, 1], d_feat=len(FIELDS))
    x = windows[1]["x"]  # date 1: both instruments
    assert x.shape == (2, 4, 3) and windows.n_features == 3
    for t, lag in enumerate((3, 2, 1, 0)):
        for j, field in enumerate(FIELDS):
            assert x[1, t, j] == frame.loc[rows[3], ("feature", f"{field}{lag}")]


def test_a_row_is_one_step_without_d_feat_and_d_feat_must_divide_it():
    rows = index(1, ["SH1", "SH2"])
    frame = qlib_frame(pd.DataFrame(np.ones((2, 6)), index=rows), pd.Series(0.0, rows))
    assert RowWindows(prepared(frame), [0])[0]["x"].shape == (2, 1, 6)
    with pytest.raises(ValueError, match="d_feat: expected a divisor of the 6 features"):
        RowWindows(prepared(frame), [0], d_feat=4)


def test_filled_steps_fill_forward_then_backward():
    present = torch.tensor([[0, 1], [1, 0], [0, 0], [1, 1]], dtype=torch.bool)
    assert filled_steps(present).tolist() == [[1, 0], [1, 0], [1, 0], [3, 3]]


def test_windows_take_an_instruments_nearest_rows_as_tsdatasampler_does():
    rows = index(5, ["A", "B"])
    value = pd.Series(
        [10.0 * d + i for d in range(5) for i in range(2)], index=rows, name="F0"
    ).to_frame()
    frame = qlib_frame(value, pd.Series(0.0, rows)).drop(index=[rows[1], rows[3], rows[5]])
    assert set(frame.index[:3]) == {rows[0], rows[2], rows[4]}  # B has no row on dates 0 to 2
    windows = FilledWindows(prepared(frame), [0, 3, 4], step_len=3)

    def window(date: int):
        part = windows.one_date(date)
        return {a: x[:, 0].tolist() for a, x in zip(part["asset"].tolist(), part["x"])}

    assert window(0) == {0: [0.0, 0.0, 0.0]}  # before the first date: its own row
    assert window(3) == {0: [10.0, 20.0, 30.0], 1: [31.0, 31.0, 31.0]}  # B: from later
    assert window(4) == {0: [20.0, 30.0, 40.0], 1: [31.0, 31.0, 41.0]}
    assert windows[1]["x"].shape == (2, 3, 1) and windows.n_features == 1


def test_an_inference_frame_gets_blank_labels_and_segment_dates():
    rows = index(3, ["A", "B"])
    frame = qlib_frame(pd.DataFrame({"F0": np.arange(6.0)}, index=rows))
    panel = qlib_panel(frame, ["LABEL0"])
    assert panel.target_names == ["LABEL0"] and panel.feature_names == ["F0"]
    assert all(math.isnan(v) for v in panel.labels.flatten().tolist())
    assert dates_from(panel, "2024-01-02") == [1, 2]
    assert dates_from(panel, None) == [0, 1, 2]
