"""Argument checks shared by the ops, modules and layers, and the dtype they compute in.

Every check names the argument in its message; wrong types raise ``TypeError``, wrong values
(shapes included) ``ValueError``.
"""

import warnings
from numbers import Real
from typing import Any, Collection, Mapping, Optional, Sequence

import torch


def compute_dtype(*tensors: Optional[torch.Tensor]) -> torch.dtype:
    """float64 if any given tensor is float64, else float32 (``None`` entries are skipped).

    fla's kernels compute in float32 whatever the input precision; float64 inputs stay float64.
    """
    if any(t is not None and t.dtype == torch.float64 for t in tensors):
        return torch.float64
    return torch.float32


def autocast_off(device: torch.device):
    """A context in which autocast leaves every op in the dtype of its inputs: the kernels compute
    in ``compute_dtype`` under autocast too, as fla's do (their matrix products, the
    unit-triangular solve and the scans would lose accuracy, or fail, in bfloat16)."""
    return torch.autocast(device.type, enabled=False)


def check_tensor(name: str, x: Any, min_dim: int = 1) -> None:
    """``x`` must be a tensor with at least ``min_dim`` dimensions."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < min_dim:
        raise ValueError(
            f"{name} must have at least {min_dim} dimension(s), got shape {tuple(x.shape)}"
        )


def check_float_tensor(name: str, x: Any, shape: Sequence[Optional[int]], layout: str) -> None:
    """``x`` must be a floating-point tensor of ``shape`` (``None`` entries match any size).

    ``layout`` names the dimensions in the message, e.g. ``"[B, T, H, K]"``.
    """
    check_tensor(name, x, min_dim=0)
    if x.dim() != len(shape) or any(n is not None and n != m for n, m in zip(shape, x.shape)):
        expected = ["?" if n is None else n for n in shape]
        raise ValueError(f"{name} must have shape {layout} = {expected}, got {list(x.shape)}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value`` must be one of ``choices`` (a tuple, or the keys of a dict)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def check_int(name: str, value: Any, minimum: int = 0) -> int:
    """``value`` must be an int (a bool is not one) of at least ``minimum``; returns it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_divisor(name: str, value: Any, total: int, total_name: str) -> None:
    """``value`` must be a positive int dividing ``total`` (described as ``total_name``)."""
    if not isinstance(value, int) or value < 1 or total % value != 0:
        raise ValueError(f"{name} must be a positive divisor of {total_name}, got {value}")


def check_multiple(name: str, value: int, of_name: str, of: int) -> None:
    """``value`` (``name``) must be a multiple of ``of`` (``of_name``)."""
    if value % of != 0:
        raise ValueError(f"{name}={value} must be a multiple of {of_name}={of}")


def check_optional_real(name: str, value: Any) -> None:
    """``value`` must be a real number (a bool is not one) or ``None``."""
    if value is not None and (not isinstance(value, Real) or isinstance(value, bool)):
        raise TypeError(f"{name} must be a real number or None, got {type(value).__name__}")


def check_optional_int(name: str, value: Any, minimum: int = 0) -> Optional[int]:
    """``value`` must be ``None`` or an int of at least ``minimum``; returns it."""
    return None if value is None else check_int(name, value, minimum)


def check_positive_real(name: str, value: Any) -> float:
    """``value`` must be a real number (a bool is not one) above 0; returns it."""
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


_WARNED_IGNORED = set()


def warn_ignored_kwargs(owner: str, kwargs: Mapping[str, Any], known: Collection[str] = ()) -> None:
    """Warn, once per ``owner`` and name, of the keyword arguments outside ``known``.

    fla's layers take ``**kwargs`` and ignore what they do not read, so myfla's accept them too;
    the warning catches misspellings (``num_head=2``). Not under ``torch.compile`` tracing.
    """
    if torch.compiler.is_compiling():
        return
    unseen = [n for n in sorted(set(kwargs) - set(known)) if (owner, n) not in _WARNED_IGNORED]
    if unseen:
        _WARNED_IGNORED.update((owner, name) for name in unseen)
        warnings.warn(
            f"{owner} ignores the keyword argument(s) {', '.join(map(repr, unseen))}, as fla "
            "does; check their spelling",
            stacklevel=3,
        )
