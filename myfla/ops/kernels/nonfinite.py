"""Non-finite inputs in the chunked kernels: the outputs before a NaN or an Inf are those of the
finite prefix, as the token loops give them.

Inside a chunk, products such as ``A @ u`` (``A`` lower triangular) multiply the steps after each
row by exact zeros, and ``0 * NaN`` is NaN: a non-finite value at step ``t`` would reach the
outputs before ``t``. So a guarded kernel runs on inputs whose non-finite entries are zeroed, and
every step from the first non-finite one on (per sequence and head) is set to NaN afterwards, in
the outputs and the final state, as the recurrence leaves them. The queries ``q`` are not touched:
they reach their own step's output only. A log decay of ``-inf`` is finite in this sense: it is a
full reset, which the kernels compute exactly.
"""

import functools
import inspect
from typing import Callable, Dict, Optional, Tuple

import torch

from .chunked import host_reads_are_free

Kernel = Callable[..., Tuple[torch.Tensor, torch.Tensor]]


def causal_for_nonfinite(*log_decays: str) -> Callable[[Kernel], Kernel]:
    """Guard a chunked kernel ``(q, ..., scale, initial_state, ...) -> (o [B, H, T, V], state)``
    whose head-first tensors other than ``q`` carry the state; ``log_decays`` names those that
    hold log decays (where ``-inf`` is allowed).

    On the CPU outside ``torch.compile`` the kernel first runs as it is: a non-finite input other
    than ``q`` always makes the final state non-finite, and only then does it run again guarded.
    Elsewhere it always runs guarded, which needs no read on the host.
    """

    def guard(kernel: Kernel) -> Kernel:
        signature = inspect.signature(kernel)

        @functools.wraps(kernel)
        def guarded(*args, **kwargs):
            arguments = signature.bind(*args, **kwargs).arguments
            q = arguments["q"]
            if host_reads_are_free(q):
                o, state = kernel(**arguments)
                if bool(torch.isfinite(state.sum())):  # a sum that overflows reruns, exactly
                    return o, state
            tensors = {
                name: x
                for name, x in arguments.items()
                if name not in ("q", "initial_state") and isinstance(x, torch.Tensor)
            }
            clean, poisoned = _zero_nonfinite(tensors, log_decays)
            o, state = kernel(**{**arguments, **clean})
            if poisoned is None:
                return o, state
            nan = o.new_tensor(float("nan"))
            return (
                torch.where(poisoned.unsqueeze(-1), nan, o),
                torch.where(poisoned[..., -1, None, None], nan, state),
            )

        return guarded

    return guard


def _zero_nonfinite(
    tensors: Dict[str, torch.Tensor], log_decays: Tuple[str, ...]
) -> Tuple[Dict[str, torch.Tensor], Optional[torch.Tensor]]:
    """``tensors`` ``[B, H, T, ...]`` with their non-finite entries zeroed, and
    ``poisoned [B, H, T]``: whether a step or one before it had one."""
    clean, bad = {}, None
    for name, x in tensors.items():
        valid = x < float("inf") if name in log_decays else torch.isfinite(x)
        clean[name] = torch.where(valid, x, x.new_zeros(()))
        step_bad = ~valid if x.dim() == 3 else ~valid.flatten(3).all(-1)
        bad = step_bad if bad is None else bad | step_bad
    if bad is None:
        return clean, None
    return clean, bad.cumsum(-1, dtype=torch.int32) > 0
