"""The training loop: AdamW on a masked MSE, early stopping on the validation IC, gradient
clipping, a fixed seed, and atomic checkpoints that a rerun resumes from (mid-epoch too).

Determinism: the batch order of epoch ``e`` is a permutation drawn from ``(seed, e)``; the
checkpoint holds the model, the optimizer, the torch RNG state, the position in the epoch and
the early-stopping state, so an interrupted run resumed on CPU ends with the same weights as an
uninterrupted one.
"""

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Union

import torch
from torch import nn

from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.evaluation.predict import predict
from fla_encoders.training.checkpoint import load_if_present, save_atomic
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.progress import progress

log = logging.getLogger(__name__)


@dataclass
class FitResult:
    """``best_epoch`` (0-based) and ``best_valid_ic``; ``history``: one dict per epoch."""

    best_epoch: int
    best_valid_ic: float
    history: List[Dict[str, float]] = field(default_factory=list)


def masked_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of ``pred: (B, K)`` over the finite entries of ``target: (B, K)``."""
    keep = torch.isfinite(target)
    if not keep.any():
        return pred.sum() * 0.0
    return (pred[keep] - target[keep]).pow(2).mean()


def epoch_order(seed: int, epoch: int, n_batches: int) -> List[int]:
    """The batch order of ``epoch``: a permutation fixed by ``(seed, epoch)``."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n_batches, generator=generator).tolist()


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, batch: Dict[str, torch.Tensor], clip: float
) -> float:
    """One AdamW step on ``batch``; returns the loss."""
    optimizer.zero_grad()
    pred, _ = model(batch["x"])
    loss = masked_mse(pred, batch["y"])
    loss.backward()
    if clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(loss.detach())


def fit(
    model: nn.Module,
    train_set: BatchTimeSeriesDataset,
    valid_set: BatchTimeSeriesDataset,
    config: TrainConfig,
    checkpoint: Optional[Union[str, Path]] = None,
    on_epoch: Optional[Callable[[Dict[str, float]], None]] = None,
) -> FitResult:
    """Train ``model`` in place; on return it holds the weights of its best validation epoch.

    With ``checkpoint`` (a file path), the state is saved there atomically every
    ``config.checkpoint_every`` steps and after each epoch, and a run finding it resumes.
    ``on_epoch(record)`` is called after each epoch with its history record.
    """
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    state = {
        "epoch": 0,
        "step": 0,
        "best_epoch": -1,
        "best_valid_ic": -math.inf,
        "best_model": None,
        "bad_epochs": 0,
        "history": [],
        "losses": [],  # of the current epoch
        "done": False,
    }
    saved = load_if_present(checkpoint)
    if saved is None:
        torch.manual_seed(config.seed)
    else:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["rng"])
        state = saved["loop"]
        log.info("resuming from %s at epoch %d, step %d", checkpoint, state["epoch"], state["step"])

    def save() -> None:
        if checkpoint is not None:
            save_atomic(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "rng": torch.get_rng_state(),
                    "loop": state,
                },
                checkpoint,
            )

    while not state["done"] and state["epoch"] < config.epochs:
        epoch = state["epoch"]
        order = epoch_order(config.seed, epoch, len(train_set))
        model.train()
        remaining = order[state["step"] :]
        for index in progress(remaining, config.progress, f"epoch {epoch}", len(remaining)):
            state["losses"].append(train_step(model, optimizer, train_set[index], config.clip_norm))
            state["step"] += 1
            if config.checkpoint_every and state["step"] % config.checkpoint_every == 0:
                save()
        valid_ic = predict(model, valid_set).metrics()["mean"]["ic"]
        record = {"epoch": epoch, "valid_ic": valid_ic}
        if state["losses"]:
            record["train_loss"] = sum(state["losses"]) / len(state["losses"])
        state["history"].append(record)
        log.info("epoch %d: %s", epoch, record)
        if valid_ic > state["best_valid_ic"]:
            state.update(best_epoch=epoch, best_valid_ic=valid_ic, bad_epochs=0)
            state["best_model"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state["bad_epochs"] += 1
        state.update(epoch=epoch + 1, step=0, losses=[])
        state["done"] = state["bad_epochs"] >= config.patience
        save()
        if on_epoch is not None:
            on_epoch(record)
    if state["best_model"] is not None:
        model.load_state_dict(state["best_model"])
    return FitResult(state["best_epoch"], state["best_valid_ic"], state["history"])
