"""The training loop: AdamW (``training.optimizer``) on a masked MSE, early stopping on the
validation IC, gradient clipping, a fixed seed, and atomic checkpoints that a rerun resumes
from (mid-epoch too).

Determinism: the batch order of epoch ``e`` is a permutation drawn from ``(seed, e)``; the
checkpoint holds the model, the optimizer, the torch RNG state, the position in the epoch and
the early-stopping state, so an interrupted run resumed on CPU ends with the same weights as an
uninterrupted one.

Several processes (torchrun, ``group``: fla_encoders.training.distributed) train one model: each
rank takes its share of each batch's dates (whole dates) and the gradients are summed, so that a
step is the single process's step on the whole batch, up to float rounding; each rank predicts
its share of the validation dates and rank 0 scores them whole, saves the checkpoints (the others
wait) and reads them back for all; the validation IC, and with it early stopping, is rank 0's,
sent to every rank. Each rank draws its own dropout masks, from ``(seed, rank)``; the checkpoint
keeps every rank's RNG state, so a resumed group matches an uninterrupted one as a single
process does.

Failures: what cannot give a validation IC is refused before training (``check_trainable``); a
loss that is not finite stops training before it reaches the weights, the checkpoint keeping
the last state saved; a run whose latest checkpoint is unreadable resumes from the previous one
with a ``CheckpointWarning`` saying how many steps are trained again. Each is a
``TrainingError`` or a ``CheckpointError`` whose message says what to change.
"""

import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.evaluation.metrics import ic_metrics
from fla_encoders.evaluation.predict import predict
from fla_encoders.training.checkpoint import Loaded, load_latest, require_keys, save_atomic
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.device import OnDevice, training_device
from fla_encoders.training.distributed import LOCAL, Group, broadcast_tensors, sum_gradients
from fla_encoders.training.errors import CheckpointWarning, TrainingError
from fla_encoders.training.optimizer import make_optimizer
from fla_encoders.training.preflight import check_trainable
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


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank ``rank``'s random draws (dropout): ``seed`` itself on rank 0."""
    return seed + 1_000_003 * rank


def batch_loss(
    model: nn.Module, batch: Optional[Dict[str, torch.Tensor]], group: Group
) -> Tuple[Optional[torch.Tensor], float]:
    """``(loss, value)``: what this process back-propagates for ``batch`` and the loss of the
    whole batch. Alone: the masked MSE. In a group, ``batch`` is this rank's share of the global
    batch (None: no dates) and ``loss`` its squared errors over the global batch's count of
    finite labels, so that the gradients summed over the ranks are the masked MSE's."""
    device = next(model.parameters()).device
    if group.size == 1:
        pred, _ = model(batch["x"].to(device))
        loss = masked_mse(pred, batch["y"].to(device))
        return loss, float(loss.detach())
    errors, count = None, 0
    if batch is not None:
        pred, _ = model(batch["x"].to(device))
        target = batch["y"].to(device)
        keep = torch.isfinite(target)
        errors = (pred[keep] - target[keep]).pow(2).sum()
        count = int(keep.sum())
    local = [0.0 if errors is None else float(errors.detach()), float(count)]
    total_errors, total_count = group.sum(torch.tensor(local, dtype=torch.float64)).tolist()
    value = total_errors / total_count if total_count else 0.0
    return (None if errors is None else errors / max(total_count, 1.0)), value


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Optional[Dict[str, torch.Tensor]],
    clip: float,
    group: Group = LOCAL,
) -> float:
    """One AdamW step on ``batch`` (in a group: this rank's share, see ``batch_loss``); returns
    the loss. A loss that is not finite is returned without a step: the weights stay as they
    were."""
    optimizer.zero_grad()
    loss, value = batch_loss(model, batch, group)
    if not math.isfinite(value):
        return value
    if loss is not None:
        loss.backward()
    sum_gradients(model, group)
    if clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    broadcast_tensors(list(model.buffers()), group)  # rank 0's batch statistics, as DDP keeps
    return value


def validation_ic(
    model: nn.Module, valid_set: BatchTimeSeriesDataset, device: torch.device, group: Group
) -> float:
    """The mean daily IC of ``model`` on ``valid_set``: each rank predicts its share of the
    dates, rank 0 scores them whole and every rank gets its number."""
    shard = valid_set.shard(group.rank, group.size)
    rows = None
    if len(shard):
        predictions = predict(OnDevice(model, device), shard)
        rows = (predictions.pred, predictions.label, predictions.date)
    parts = group.gather(rows)
    ic = None
    if group.is_main:
        pred, label, date = (torch.cat(part) for part in zip(*[p for p in parts if p is not None]))
        names = list(valid_set.prepared.panel.target_names)
        ic = ic_metrics(pred, label, date, names)["mean"]["ic"]
    return group.broadcast(ic)


CHECKPOINT_KEYS = ["model", "optimizer", "rng", "loop"]


def steps_to_next_save(step: int, n_batches: int, checkpoint_every: int) -> int:
    """How many steps of an epoch of ``n_batches`` run from ``step`` to the next checkpoint."""
    next_save = (step // checkpoint_every + 1) * checkpoint_every if checkpoint_every else n_batches
    return max(0, min(next_save, n_batches) - step)


def fallback_warning(loaded: Loaded, n_batches: int, checkpoint_every: int) -> str:
    """What resuming from an earlier checkpoint than the latest loses."""
    loop = loaded.state["loop"]
    lost = steps_to_next_save(loop["step"], n_batches, checkpoint_every)
    return (
        f"{'; '.join(loaded.skipped)}; resuming from {loaded.path} at epoch {loop['epoch']}, "
        f"step {loop['step']}: the {lost} training steps saved after it are lost and trained "
        f"again"
    )


def restore(
    loaded: Loaded, model: nn.Module, optimizer: torch.optim.Optimizer, group: Group = LOCAL
) -> Dict[str, Any]:
    """Model, optimizer and this rank's RNG as ``loaded`` saved them; returns its loop state.
    A ``TrainingError`` when another number of processes wrote it."""
    saved = require_keys(loaded.state, CHECKPOINT_KEYS, loaded.path, "a training checkpoint")
    rngs = saved.get("rank_rngs", [saved["rng"]])
    if len(rngs) != group.size:
        raise TrainingError(
            f"{loaded.path} was written by {len(rngs)} training process(es), this run has "
            f"{group.size}: resume it with {len(rngs)} (torchrun --nproc-per-node, --nnodes), "
            f"or delete the checkpoints {loaded.path.parent}/checkpoint*.pt to start over"
        )
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    torch.set_rng_state(rngs[group.rank])
    state = saved["loop"]
    log.info("resuming from %s at epoch %d, step %d", loaded.path, state["epoch"], state["step"])
    return state


def non_finite_loss(loss: float, state: Dict[str, Any], checkpoint: Optional[Path]) -> str:
    """Why training stopped on a loss that is not finite, and what is kept."""
    kept = (
        f"{checkpoint} keeps the last state saved before it"
        if checkpoint is not None and checkpoint.exists()
        else "no checkpoint was saved before it"
    )
    return (
        f"training stopped: the loss is {loss} at epoch {state['epoch']}, step {state['step']} "
        f"(the model's outputs are not finite, or training diverged: a lower training.lr may "
        f"help; a rerun with the same settings stops here again); the weights were not updated "
        f"with it, {kept}"
    )


def fit(
    model: nn.Module,
    train_set: BatchTimeSeriesDataset,
    valid_set: BatchTimeSeriesDataset,
    config: TrainConfig,
    checkpoint: Optional[Union[str, Path]] = None,
    on_epoch: Optional[Callable[[Dict[str, float]], None]] = None,
    group: Group = LOCAL,
) -> FitResult:
    """Train ``model`` in place on ``config.device``; on return it holds the weights of its
    best validation epoch, on the device it came on.

    With ``checkpoint`` (a file path), the state is saved there atomically every
    ``config.checkpoint_every`` steps and after each epoch (the state before it kept beside
    it, ``previous_path(checkpoint)``), and a run finding it resumes.
    ``on_epoch(record)`` is called after each epoch with its history record. ``group``: the
    processes training this model together (see the module's docstring), each calling ``fit``.
    """
    check_trainable(train_set, valid_set, config)
    checkpoint = None if checkpoint is None else Path(checkpoint)
    device = training_device(config.device, group)
    home = next(model.parameters()).device
    model.to(device)
    broadcast_tensors([*model.parameters(), *model.buffers()], group)
    optimizer = make_optimizer(model, config)
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
    loaded = None if checkpoint is None else group.from_main(load_latest, checkpoint)
    if loaded is None:
        torch.manual_seed(rank_seed(config.seed, group.rank))
    else:
        state = restore(loaded, model, optimizer, group)
        if loaded.skipped:
            warnings.warn(
                fallback_warning(loaded, len(train_set), config.checkpoint_every),
                CheckpointWarning,
                stacklevel=2,
            )

    def save() -> None:
        if checkpoint is None:
            return
        rngs = group.gather(torch.get_rng_state())
        if group.is_main:
            ranks = {"rank_rngs": rngs} if group.size > 1 else {}
            saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            saved.update(rng=rngs[0], loop=state, **ranks)
            save_atomic(saved, checkpoint, keep_previous=True)
        group.barrier()

    while not state["done"] and state["epoch"] < config.epochs:
        epoch = state["epoch"]
        order = epoch_order(config.seed, epoch, len(train_set))
        model.train()
        remaining = order[state["step"] :]
        bars = config.progress and group.is_main
        for index in progress(remaining, bars, f"epoch {epoch}", len(remaining)):
            batch = train_set.batch_of(group.share(train_set.batches[index]))
            loss = train_step(model, optimizer, batch, config.clip_norm, group)
            if not math.isfinite(loss):
                raise TrainingError(non_finite_loss(loss, state, checkpoint))
            state["losses"].append(loss)
            state["step"] += 1
            if config.checkpoint_every and state["step"] % config.checkpoint_every == 0:
                save()
        valid_ic = validation_ic(model, valid_set, device, group)
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
    if state["best_model"] is None:
        raise TrainingError(
            f"no epoch of {len(state['history'])} gave a finite validation IC: the model's "
            f"predictions were constant or not finite on every validation date; no trained "
            f"weights to keep"
        )
    model.load_state_dict(state["best_model"])
    model.to(home)
    return FitResult(state["best_epoch"], state["best_valid_ic"], state["history"])
