"""The oracle of a synthetic panel: the planted part of each label scored as predictions, the IC
a model knowing every planted signal would reach on the same dates and assets."""

from typing import Optional

import torch

from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.evaluation.predict import Predictions


def oracle_predictions(dataset: BatchTimeSeriesDataset) -> Optional[Predictions]:
    """The planted part of the labels, ``panel.signal[date, asset]``, as the predictions, over
    the rows of ``dataset``; None when the panel has no planted signal."""
    panel = dataset.prepared.panel
    if panel.signal is None:
        return None
    batches = [dataset[i] for i in range(len(dataset))]
    date = torch.cat([b["date"] for b in batches])
    asset = torch.cat([b["asset"] for b in batches])
    label = torch.cat([b["label"] for b in batches])
    pred = panel.signal[date, asset].float()
    return Predictions(pred, label, date, asset, list(panel.target_names))
