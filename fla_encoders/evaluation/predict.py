"""Predictions of a model over a date-batched dataset, with the model's monitoring values."""

import contextlib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List

import torch
from torch import nn

from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.evaluation.metrics import daily_ic, ic_metrics
from fla_encoders.registry import FLAEncoderStrategy


@dataclass
class Predictions:
    """``pred``, ``label``: ``(M, K)``; ``date``, ``asset``: ``(M,)`` panel date and asset
    indices into ``dates`` and ``assets`` (the panel's); ``info``: per scalar monitoring value
    (e.g. ``gate_value``), one number per batch, with ``batch_dates`` the first date of each
    batch."""

    pred: torch.Tensor
    label: torch.Tensor
    date: torch.Tensor
    asset: torch.Tensor
    target_names: List[str]
    batch_dates: List[int] = field(default_factory=list)
    info: Dict[str, List[float]] = field(default_factory=dict)
    dates: List[str] = field(default_factory=list)
    assets: List[str] = field(default_factory=list)

    def metrics(self) -> Dict[str, Dict[str, float]]:
        """``ic_metrics`` per target and averaged (see fla_encoders.evaluation.metrics)."""
        return ic_metrics(self.pred, self.label, self.date, self.target_names)

    def daily_ic(self) -> Dict[str, Any]:
        """Daily IC and Rank IC averaged over targets, ``{"date", "ic", "rank_ic"}`` each
        ``(D,)``, and per target: ``"targets": {name: {"ic", "rank_ic"}}``."""
        per_target = [
            daily_ic(self.pred[:, k], self.label[:, k], self.date)
            for k in range(len(self.target_names))
        ]
        return {
            "date": per_target[0]["date"],
            "ic": torch.stack([s["ic"] for s in per_target]).nanmean(0),
            "rank_ic": torch.stack([s["rank_ic"] for s in per_target]).nanmean(0),
            "targets": {
                name: {"ic": s["ic"], "rank_ic": s["rank_ic"]}
                for name, s in zip(self.target_names, per_target)
            },
        }

    def to_frame(self):
        """The scores as a pandas DataFrame, the layout of Qlib's ``SignalRecord`` and of
        alphalens' factor: one row per (date, asset), index levels ``datetime`` (Timestamps)
        and ``instrument``, sorted; one float64 column per target (``target_names``)."""
        if not self.dates or not self.assets:
            raise ValueError("to_frame: these predictions lack the panel's dates and assets")
        try:
            import pandas
        except ImportError as exc:
            raise ImportError("to_frame needs pandas: pip install 'fla-encoders[pandas]'") from exc

        index = pandas.MultiIndex.from_arrays(
            [
                pandas.to_datetime([self.dates[d] for d in self.date.tolist()]),
                [self.assets[a] for a in self.asset.tolist()],
            ],
            names=["datetime", "instrument"],
        )
        frame = pandas.DataFrame(
            self.pred.double().tolist(), index=index, columns=list(self.target_names)
        )
        return frame.sort_index()


@contextlib.contextmanager
def monitoring(model: nn.Module) -> Iterator[None]:
    """Turn on the monitoring values of every encoder in ``model`` (registry contract) while
    the block runs."""
    encoders = [m for m in model.modules() if isinstance(m, FLAEncoderStrategy)]
    before = [e.monitoring for e in encoders]
    for encoder in encoders:
        encoder.monitoring = True
    try:
        yield
    finally:
        for encoder, value in zip(encoders, before):
            encoder.monitoring = value


@torch.no_grad()
def predict(model: nn.Module, dataset: BatchTimeSeriesDataset) -> Predictions:
    """Run ``model`` (``x -> (pred, info)``, as ``FLAFinancialModel``) in eval mode, monitoring
    on, over every batch of ``dataset``, in date order."""
    was_training = model.training
    model.eval()
    preds, labels, dates, assets, batch_dates, info = [], [], [], [], [], {}
    with monitoring(model):
        for index in range(len(dataset)):
            batch = dataset[index]
            pred, extra = model(batch["x"])
            preds.append(pred.float())
            labels.append(batch["label"])
            dates.append(batch["date"])
            assets.append(batch["asset"])
            batch_dates.append(int(batch["date"][0]))
            for key, value in extra.items():
                if isinstance(value, (int, float)) or (torch.is_tensor(value) and value.dim() == 0):
                    info.setdefault(key, []).append(float(value))
    model.train(was_training)
    panel = dataset.prepared.panel
    return Predictions(
        pred=torch.cat(preds),
        label=torch.cat(labels),
        date=torch.cat(dates),
        asset=torch.cat(assets),
        target_names=list(panel.target_names),
        batch_dates=batch_dates,
        info=info,
        dates=list(panel.dates),
        assets=list(panel.assets),
    )
