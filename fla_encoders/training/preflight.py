"""What training refuses before it starts: settings and data that cannot give a validation IC,
so that early stopping would have nothing to go on."""

import torch

from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.errors import TrainingError


def split_rows(dataset: BatchTimeSeriesDataset, values: torch.Tensor) -> torch.Tensor:
    """``values: (D, N, K)`` of the panel at the end dates of ``dataset``: ``(D', N, K)``."""
    dates = [d for batch in dataset.batches for d in batch]
    return values[torch.tensor(dates, dtype=torch.long)]


def has_an_ic(labels: torch.Tensor) -> bool:
    """Whether some date and target of ``labels: (D, N, K)`` (NaN where missing) has two assets
    of distinct finite labels, which a daily IC needs."""
    if not labels.numel():
        return False
    finite = torch.isfinite(labels)
    low = torch.where(finite, labels, torch.full_like(labels, float("inf"))).amin(1)
    high = torch.where(finite, labels, torch.full_like(labels, float("-inf"))).amax(1)
    return bool(((finite.sum(1) >= 2) & (high > low)).any())


def check_trainable(
    train_set: BatchTimeSeriesDataset, valid_set: BatchTimeSeriesDataset, config: TrainConfig
) -> None:
    """A ``TrainingError`` naming the setting or the split that cannot give a trained model:
    ``training.epochs`` below 1, a training split without a finite label, a validation split
    on which no date has an IC (one asset, blank or constant labels)."""
    epochs = config.epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TrainingError(f"training.epochs must be an int >= 1, got {epochs!r}")
    if not bool(torch.isfinite(split_rows(train_set, train_set.prepared.targets)).any()):
        raise TrainingError(
            "the training split holds no finite label: nothing to learn from (check the data's "
            "labels, data.source and data.options)"
        )
    labels = split_rows(valid_set, valid_set.prepared.labels)
    if not has_an_ic(labels):
        raise TrainingError(
            f"the validation split cannot give an IC: none of its {labels.shape[0]} dates has "
            f"two assets of distinct finite labels (one asset, blank or constant labels); "
            f"early stopping would have nothing to go on (check the data's labels, data.source, "
            f"data.options and data.fractions)"
        )
