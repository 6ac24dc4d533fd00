"""Qlib's frames as fla-encoders datasets, each window shaped as Qlib's own GRU models see it.

No qlib import: frames in, datasets out. A frame is what a Qlib ``DataHandlerLP`` fetches: rows
indexed by (``datetime``, ``instrument``), columns in two levels with ``feature`` and ``label``
at the top (``fla_encoders.data.long``). Two shapes of window:

- ``RowWindows`` (``DatasetH``): each row holds a whole window, as Alpha360's 360 columns
  (6 fields x 60 dates, ``CLOSE59 .. CLOSE0, OPEN59 .. OPEN0, ...``). A row's ``F`` features
  become ``(F // d_feat, d_feat)``, oldest step first, as ``qlib.contrib.model.pytorch_gru``
  reshapes them.
- ``FilledWindows`` (``TSDatasetH``): each row one date; a window is the ``step_len`` dates up
  to its own, and a date where the instrument has no row (or one before the frame's first
  date) takes the instrument's nearest earlier row of the window, else its nearest later one:
  ``TSDataSampler`` with ``fillna_type="ffill+bfill"``, as ``pytorch_gru_ts`` sets it.

A row without any finite feature counts as no row (``Panel.present``). Missing features left
in a row become 0 (``fla_encoders.data.normalize``), as Qlib's ``Fillna`` processor does.
"""

from typing import List, Optional, Sequence

import torch

from fla_encoders.data.dataset import BatchTimeSeriesDataset, PreparedPanel
from fla_encoders.data.long import load_long_panel
from fla_encoders.data.panel import Panel


def qlib_panel(frame, target_names: Sequence[str] = ()) -> Panel:
    """The panel of a fetched ``frame``. A frame without a ``label`` group (fetched for
    inference) gets one all-NaN label per name of ``target_names``."""
    if "label" not in set(frame.columns.get_level_values(0)):
        frame = frame.copy()
        for name in target_names:
            frame[("label", name)] = float("nan")
    # Qlib's segments are the splits: the horizon only sizes fla-encoders' own splits.
    return load_long_panel(frame, horizon=1)


def dates_from(panel: Panel, start) -> List[int]:
    """Indices of the panel's dates on or after ``start`` (any date pandas reads; None: all)."""
    import pandas

    dates = pandas.to_datetime(panel.dates)
    if start is None:
        return list(range(len(dates)))
    return [i for i, day in enumerate(dates) if day >= pandas.Timestamp(start)]


def filled_steps(present: torch.Tensor) -> torch.Tensor:
    """``present: (T, n)`` bool, each column with a True -> ``(T, n)`` long: at each step the
    step itself where present, else the latest earlier present step, else the earliest later
    one (forward fill, then backward fill)."""
    n_steps = present.shape[0]
    steps = torch.arange(n_steps)[:, None].expand_as(present)
    earlier = torch.where(present, steps, -1).cummax(0).values
    later = torch.where(present, steps, n_steps).flip(0).cummin(0).values.flip(0)
    return torch.where(earlier >= 0, earlier, later)


class RowWindows(BatchTimeSeriesDataset):
    """One row per sample, its ``F`` features a window ``x: (B, F // d_feat, d_feat)``: feature
    ``j`` of step ``t`` is column ``j * (F // d_feat) + t`` (``d_feat`` None: the row is one
    step of ``F`` features)."""

    def __init__(
        self,
        prepared: PreparedPanel,
        end_dates: Sequence[int],
        d_feat: Optional[int] = None,
        dates_per_batch: int = 1,
    ):
        super().__init__(prepared, end_dates, 1, dates_per_batch)
        width = prepared.n_features
        self.n_features = width if d_feat is None else d_feat
        if self.n_features < 1 or width % self.n_features:
            raise ValueError(
                f"d_feat: expected a divisor of the {width} features of a row, got {d_feat}"
            )

    def one_date(self, d: int):
        part = super().one_date(d)
        rows = part["x"][:, 0]  # (n, F)
        part["x"] = rows.reshape(len(rows), self.n_features, -1).transpose(1, 2)
        return part


class FilledWindows(BatchTimeSeriesDataset):
    """Windows ``x: (B, step_len, F)`` of the ``step_len`` dates up to each end date, the gaps
    of an instrument filled from its other dates of the window (see the module docstring); an
    end date may come before ``step_len - 1`` earlier dates."""

    def __init__(
        self,
        prepared: PreparedPanel,
        end_dates: Sequence[int],
        step_len: int,
        dates_per_batch: int = 1,
    ):
        super().__init__(prepared, end_dates, 1, dates_per_batch)
        if step_len < 1:
            raise ValueError(f"step_len: expected >= 1, got {step_len}")
        self.step_len = step_len
        self.n_features = prepared.n_features

    def one_date(self, d: int):
        part = super().one_date(d)
        assets = part["asset"]
        dates = torch.arange(d - self.step_len + 1, d + 1)
        inside = (dates >= 0)[:, None]
        dates = dates.clamp(min=0)
        present = self.prepared.present[dates][:, assets] & inside  # (T, n)
        source = dates[filled_steps(present)]  # (T, n)
        part["x"] = self.prepared.inputs[source, assets].transpose(0, 1)
        return part
