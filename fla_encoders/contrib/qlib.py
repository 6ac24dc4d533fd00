"""``FLAEncoderModel``: any registered encoder as a Qlib model, for Qlib's workflows (a ``qrun``
YAML file, ``task_train``, ``SignalRecord``). Needs pyqlib.

``fit(dataset)`` trains an ``FLAFinancialModel`` with fla-encoders' loop (AdamW, early stopping
on the validation IC, a seed) on the ``train`` and ``valid`` segments of a ``DatasetH`` (each
row a window, reshaped as Qlib's GRU does) or a ``TSDatasetH`` (windows of ``step_len`` dates,
as Qlib's GRU on time series); ``predict(dataset, segment)`` gives Qlib's score Series.
"""

import bisect
import inspect
from dataclasses import fields
from typing import Any, Dict, Optional, Tuple

import torch

from fla_encoders.contrib.qlib_data import FilledWindows, RowWindows, dates_from, qlib_panel
from fla_encoders.data.dataset import BatchTimeSeriesDataset, PreparedPanel
from fla_encoders.evaluation.predict import predict
from fla_encoders.model import FLAFinancialModel
from fla_encoders.model.financial import DATA_ARGUMENTS
from fla_encoders.training import FitResult, TrainConfig, fit

try:
    import pandas
    from qlib.data.dataset import DatasetH, TSDatasetH
    from qlib.data.dataset.handler import DataHandlerLP
    from qlib.model.base import Model
except ImportError as exc:
    raise ImportError(
        f"fla_encoders.contrib.qlib needs pyqlib ({exc}): pip install pyqlib; "
        f"see docs/ecosystem.md, section Qlib"
    ) from exc

MODEL_SETTINGS = sorted(
    set(inspect.signature(FLAFinancialModel).parameters)
    - set(DATA_ARGUMENTS)
    - {"encoder_name", "encoder_kwargs"}
)
TRAIN_SETTINGS = sorted(f.name for f in fields(TrainConfig))


class FLAEncoderModel(Model):
    """A Qlib ``Model`` of an ``FLAFinancialModel``.

    ``encoder_name``, ``encoder_kwargs``: any registered encoder (``fla-encoders list``);
    ``settings``: ``FLAFinancialModel``'s (``hidden_size``, ``prediction_hidden``,
    ``dropout``) and ``TrainConfig``'s (``epochs``, ``lr``, ``weight_decay``, ``patience``,
    ``clip_norm``, ``seed``, ...). The data: ``d_feat`` (a ``DatasetH`` only, Qlib's name) the
    features of one step of a row, 6 for Alpha360; None, the whole row is one step.
    ``dates_per_batch``: whole dates per batch. ``feature_norm``, ``label_norm``:
    fla-encoders' per-date normalisation (``fla_encoders.data.normalize``) on top of what the
    handler's processors did; ``"none"`` by default.

    The score is the prediction of the first label column.
    """

    def __init__(
        self,
        encoder_name: str = "gated_deltanet",
        encoder_kwargs: Optional[Dict[str, Any]] = None,
        d_feat: Optional[int] = None,
        dates_per_batch: int = 4,
        feature_norm: str = "none",
        label_norm: str = "none",
        **settings: Any,
    ):
        unknown = sorted(set(settings) - set(MODEL_SETTINGS) - set(TRAIN_SETTINGS))
        if unknown:
            raise ValueError(
                f"FLAEncoderModel: unknown settings {unknown}; the model's: "
                f"{', '.join(MODEL_SETTINGS)}; training's: {', '.join(TRAIN_SETTINGS)}"
            )
        self.model_config = {
            "encoder_name": encoder_name,
            "encoder_kwargs": dict(encoder_kwargs or {}),
            **{key: settings[key] for key in MODEL_SETTINGS if key in settings},
        }
        self.train_config = TrainConfig.from_dict(
            {key: settings[key] for key in TRAIN_SETTINGS if key in settings}
        )
        self.d_feat = d_feat
        self.dates_per_batch = dates_per_batch
        self.norms = (feature_norm, label_norm)
        self.model: Optional[FLAFinancialModel] = None
        self.fit_result: Optional[FitResult] = None
        self.target_names = []

    def fit(self, dataset: DatasetH, reweighter=None) -> "FLAEncoderModel":
        """Train on ``dataset``'s ``train`` segment, stopping early on the IC of ``valid``
        (both fetched for learning, ``DK_L``); ``self.fit_result`` says how it went."""
        if reweighter is not None:
            raise NotImplementedError("FLAEncoderModel.fit: sample weights are not supported")
        missing = [name for name in ("train", "valid") if name not in dataset.segments]
        if missing:
            raise ValueError(
                f"FLAEncoderModel.fit: the dataset has no segment {missing}; early stopping "
                f"needs a valid segment beside train (it has {sorted(dataset.segments)})"
            )
        if self.train_config.threads is not None:
            torch.set_num_threads(self.train_config.threads)
        train = self.windows(dataset, "train", DataHandlerLP.DK_L)
        valid = self.windows(dataset, "valid", DataHandlerLP.DK_L)
        torch.manual_seed(self.train_config.seed)
        self.target_names = list(train.prepared.panel.target_names)
        self.model = FLAFinancialModel.from_config(
            self.model_config, train.n_features, len(self.target_names)
        )
        self.fit_result = fit(self.model, train, valid, self.train_config)
        return self

    def predict(self, dataset: DatasetH, segment="test") -> "pandas.Series":
        """Scores of ``segment`` (a name of ``dataset.segments``, or ``(start, end)`` or a
        slice), fetched for inference (``DK_I``): a Series named ``score`` indexed by
        (``datetime``, ``instrument``), sorted."""
        if self.model is None:
            raise ValueError("FLAEncoderModel.predict: the model is not fitted yet (call fit)")
        scores = predict(self.model, self.windows(dataset, segment, DataHandlerLP.DK_I))
        return scores.to_frame()[self.target_names[0]].rename("score")

    def windows(self, dataset: DatasetH, segment, data_key: str) -> BatchTimeSeriesDataset:
        """The windows ending on the dates of ``segment``, fetched with ``data_key``, in
        batches of ``dates_per_batch`` dates (validation and scoring too: fewer, larger
        batches run faster)."""
        start, end = segment_bounds(dataset, segment)
        panel = qlib_panel(segment_frame(dataset, start, end, data_key), self.target_names)
        prepared = PreparedPanel(panel, *self.norms)
        end_dates = dates_from(panel, start)
        if isinstance(dataset, TSDatasetH):
            if self.d_feat not in (None, prepared.n_features):
                raise ValueError(
                    f"d_feat: a TSDatasetH's steps have {prepared.n_features} features, "
                    f"got d_feat={self.d_feat}"
                )
            return FilledWindows(prepared, end_dates, dataset.step_len, self.dates_per_batch)
        return RowWindows(prepared, end_dates, self.d_feat, self.dates_per_batch)


def segment_frame(dataset: DatasetH, start, end, data_key: str) -> "pandas.DataFrame":
    """The handler's rows from ``start`` to ``end`` (a ``TSDatasetH``'s from ``step_len - 1``
    dates of its calendar earlier: the windows' history), features and, for learning
    (``DK_L``), labels."""
    if isinstance(dataset, TSDatasetH) and start is not None:
        at = bisect.bisect_left(dataset.cal, pandas.Timestamp(start))
        start = dataset.cal[max(0, at - (dataset.step_len - 1))]
    learning = data_key == DataHandlerLP.DK_L
    frame = dataset.handler.fetch(
        slice(start, end),
        col_set=["feature", "label"] if learning else ["feature"],
        data_key=data_key,
        **getattr(dataset, "fetch_kwargs", {}),
    )
    if frame.empty:
        raise ValueError(f"the dataset has no rows from {start} to {end}")
    return frame


def segment_bounds(dataset: DatasetH, segment) -> Tuple[Any, Any]:
    """``(start, end)`` of a segment name, a ``(start, end)`` pair or a slice."""
    if isinstance(segment, str):
        if segment not in dataset.segments:
            raise ValueError(f"segment: {segment!r} is not one of {sorted(dataset.segments)}")
        segment = dataset.segments[segment]
    if isinstance(segment, slice):
        return segment.start, segment.stop
    start, end = segment
    return start, end
