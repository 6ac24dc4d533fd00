"""One model trained by several processes (torchrun): the group they form and what they exchange.

``LOCAL`` is one process alone: each exchange is then the identity and nothing of
``torch.distributed`` runs, so training has one code path. ``join()`` makes the group that
torchrun started this process in: gloo between CPU processes, NCCL between GPUs.

Gradients are summed by an explicit all-reduce of one flat tensor after each backward pass
(``sum_gradients``), not by ``DistributedDataParallel``: every rank back-propagates its rows'
squared errors over the global batch's count of finite labels, so the sum is the global batch's
gradient; a rank with no dates in a batch adds nothing and runs no forward pass (DDP would wait
for its gradients); parameters that no rank used keep no gradient, as in one process; and the
model stays unwrapped, its checkpoints those of a single process. The models are small: one
all-reduce per step after the backward pass costs little against it.
"""

import datetime
import os
import pickle
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, TypeVar

import torch
from torch import nn

from fla_encoders.training.errors import TrainingError

T = TypeVar("T")
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Group:
    """Process ``rank`` of ``size`` training one model; ``device``: where its collectives run
    (``"cpu"`` for gloo, ``"cuda:<local_rank>"`` for NCCL)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def share(self, items: Sequence[T]) -> List[T]:
        """This rank's share of ``items``: ``items[rank::size]``."""
        return list(items[self.rank :: self.size])

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` summed over the ranks (a new tensor, on ``tensor``'s device)."""
        if self.size == 1:
            return tensor
        total = tensor.detach().to(self.device, copy=True)
        torch.distributed.all_reduce(total)
        return total.to(tensor.device)

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value``, on every rank."""
        if self.size == 1:
            return value
        box = [value]
        torch.distributed.broadcast_object_list(box, src=0, device=self.device)
        return box[0]

    def gather(self, value: T) -> Optional[List[T]]:
        """Every rank's ``value`` in rank order on rank 0; None on the others."""
        if self.size == 1:
            return [value]
        values = [None] * self.size if self.is_main else None
        torch.distributed.gather_object(value, values, dst=0)
        return values

    def barrier(self) -> None:
        if self.size > 1:
            torch.distributed.barrier()

    def from_main(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` run on rank 0 alone; its value, or the exception it raised, on
        every rank (the others wait)."""
        if self.size == 1:
            return function(*args)
        outcome = None
        if self.is_main:
            try:
                outcome = (True, function(*args))
            except Exception as exc:  # every rank raises it, none waits forever
                outcome = (False, exc if picklable(exc) else RuntimeError(repr(exc)))
        done, value = self.broadcast(outcome)
        if not done:
            raise value
        return value


LOCAL = Group()
"""One process alone."""


def picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def join(device: str = "cpu", timeout_s: float = 1800) -> Group:
    """The group of the processes torchrun started (its environment variables: ``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): NCCL when ``device`` is a
    CUDA device (each rank on GPU ``LOCAL_RANK``), gloo otherwise. A ``TrainingError`` outside
    torchrun."""
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise TrainingError(
            f"--distributed: this process was not started by torchrun ({', '.join(missing)} "
            f"not set); run e.g. torchrun --nproc-per-node 2 -m fla_encoders train --distributed "
            f"..."
        )
    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(local_rank)
    torch.distributed.init_process_group(
        "nccl" if cuda else "gloo",
        rank=rank,
        world_size=size,
        timeout=datetime.timedelta(seconds=timeout_s),
    )
    return Group(rank, size, local_rank, f"cuda:{local_rank}" if cuda else "cpu")


def leave(group: Group) -> None:
    """End ``group``'s process group (nothing for ``LOCAL``)."""
    if group.size > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def sum_gradients(model: nn.Module, group: Group) -> None:
    """Each parameter's gradient summed over the ranks, in one all-reduce; a parameter that had
    a gradient on no rank keeps none (the optimizer skips it, as in one process)."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    if group.size == 1 or not parameters:
        return
    grads = [torch.zeros_like(p) if p.grad is None else p.grad for p in parameters]
    used = torch.tensor([p.grad is not None for p in parameters], dtype=torch.float32)
    flat = torch.cat([g.reshape(-1) for g in grads] + [used.to(grads[0].device)])
    total = group.sum(flat)
    offset = 0
    for g in grads:
        g.copy_(total[offset : offset + g.numel()].view_as(g))
        offset += g.numel()
    for p, g, users in zip(parameters, grads, total[offset:].tolist()):
        p.grad = g if users > 0 else None


def broadcast_tensors(tensors: Sequence[torch.Tensor], group: Group) -> None:
    """Rank 0's values of ``tensors`` (e.g. a model's parameters, or its buffers: batch-norm
    statistics) copied into them on every rank."""
    if group.size == 1:
        return
    with torch.no_grad():
        for tensor in tensors:
            value = tensor.detach().to(group.device)
            torch.distributed.broadcast(value, src=0)
            tensor.copy_(value)
