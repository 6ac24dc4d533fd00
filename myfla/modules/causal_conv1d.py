"""Causal depthwise 1-D convolution with a rolling state (fla.modules.causal_conv1d).

Shapes: ``x [B, T, D]`` (or ``[1, T, D]`` packed with ``cu_seqlens [N + 1]``), ``weight [D, W]``.
Output ``y[t] = act(sum_w weight[:, w] * x[t - W + 1 + w] + bias) + residual[t]``, with earlier
positions taken from the sequence's state, zeros when none is given. Computed in float32 (float64
for float64 input) and returned in ``x.dtype``.

State layout, fla's: ``[N, D, W]`` per sequence, the last ``W`` inputs oldest first (index ``W - 1``
is the latest token). Only indices ``1..W-1`` enter the next convolution; index 0 is kept so that
states equal fla's bit for bit.
"""
from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from myfla._checks import check_choice, check_int, check_tensor, compute_dtype
from myfla.ops.utils.varlen import check_cu_seqlens

from .causal_taps import causal_taps

ACTIVATIONS = (None, "silu", "swish")
# Kernel selectors; every one of them runs the same PyTorch code here.
BACKENDS = ("triton", "cuda")
FUNCTIONAL_BACKENDS = ("triton", "mix", "cuda")
# Scheduling hints of fla's kernels that have no effect here.
IGNORED_KWARGS = ("cu_seqlens_cpu", "chunk_indices", "cp_context", "seq_idx")


def _check_kwargs(kwargs: dict) -> None:
    unknown = sorted(set(kwargs) - set(IGNORED_KWARGS))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    for name in ("cp_context", "seq_idx"):
        if kwargs.get(name) is not None:
            raise NotImplementedError(f"{name} is not supported (give cu_seqlens for packed input)")


def _flatten_channels(x: torch.Tensor, dim: int, name: str = "x") -> torch.Tensor:
    """``[B, T, ...]`` -> ``[B, T, D]``; the trailing dims must hold exactly ``D`` channels."""
    check_tensor(name, x, min_dim=3)
    if x.shape[2:].numel() != dim:
        raise ValueError(
            f"{name} must be [B, T, {dim}] (channels may be split over trailing dims), "
            f"got shape {tuple(x.shape)}"
        )
    return x.reshape(x.shape[0], x.shape[1], dim)


def _check_state(state: torch.Tensor, name: str, shape: tuple[int, int, int]) -> None:
    check_tensor(name, state, min_dim=0)
    if tuple(state.shape) != shape:
        raise ValueError(f"{name} must be [N, D, W] = {list(shape)}, got {list(state.shape)}")


def _check_params(weight: torch.Tensor | None, bias: torch.Tensor | None) -> None:
    if weight is None:
        raise TypeError("weight [D, W] is required")
    check_tensor("weight", weight, min_dim=2)
    if weight.dim() != 2:
        raise ValueError(f"weight must be [D, W], got shape {tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")


def _source_rows(
    cu_seqlens: torch.Tensor,
    seq: torch.Tensor,
    offset: torch.Tensor,
    width: int,
    num_tokens: int,
) -> torch.Tensor:
    """Rows of ``cat([tokens [T, D], states [N * W, D]])`` holding position ``offset`` of ``seq``.

    ``offset`` counts from the sequence's first token; ``-W <= offset < 0`` reads its state.
    """
    start = cu_seqlens[seq]
    return torch.where(offset >= 0, start + offset, num_tokens + seq * width + width + offset)


def _packed_source(
    x: torch.Tensor,
    initial_state: torch.Tensor | None,
    num_seqs: int,
    width: int,
    dtype: torch.dtype,
) -> torch.Tensor:
    """``cat([tokens [T, D], states [N * W, D]])`` in ``dtype`` (zero states if ``None``)."""
    dim = x.shape[2]
    if initial_state is None:
        states = x.new_zeros(num_seqs * width, dim, dtype=dtype)
    else:
        states = initial_state.transpose(1, 2).reshape(num_seqs * width, dim).to(dtype)
    return torch.cat([x[0].to(dtype), states])


def _packed_windows(
    source: torch.Tensor,
    cu_seqlens: torch.Tensor,
    width: int,
    num_tokens: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each packed sequence preceded by its ``W - 1`` history rows: ``[1, T + N * (W - 1), D]``.

    Also returns the positions of the real tokens in it.
    """
    cu = cu_seqlens.long()
    num_seqs = cu.numel() - 1
    ext_lens = cu.diff() + (width - 1)
    total = num_tokens + num_seqs * (width - 1)
    seq = torch.repeat_interleave(
        torch.arange(num_seqs, device=cu.device), ext_lens, output_size=total
    )
    ext_start = torch.cumsum(ext_lens, 0) - ext_lens
    offset = torch.arange(total, device=cu.device) - ext_start[seq] - (width - 1)
    rows = _source_rows(cu, seq, offset, width, num_tokens)
    tokens = torch.nonzero(offset >= 0).squeeze(1)
    return source.index_select(0, rows).unsqueeze(0), tokens


def _packed_final_states(
    source: torch.Tensor,
    cu_seqlens: torch.Tensor,
    width: int,
    num_tokens: int,
) -> torch.Tensor:
    """Last ``W`` rows of each sequence (state rows before it when shorter) -> ``[N, D, W]``."""
    cu = cu_seqlens.long()
    num_seqs = cu.numel() - 1
    seq = torch.arange(num_seqs, device=cu.device).repeat_interleave(width)
    tap = torch.arange(width, device=cu.device).repeat(num_seqs)
    offset = cu.diff()[seq] - width + tap
    rows = _source_rows(cu, seq, offset, width, num_tokens)
    return source.index_select(0, rows).view(num_seqs, width, -1).transpose(1, 2)


def _check_inputs(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None,
    state: torch.Tensor | None,
    cu_seqlens: torch.Tensor | None,
    state_name: str,
) -> tuple[torch.Tensor, torch.Tensor | None, list[int] | None]:
    """Validate a convolution call; return ``x``, ``residual`` as ``[B, T, D]`` and the offsets."""
    _check_params(weight, bias)
    dim, width = weight.shape
    x3 = _flatten_channels(x, dim)
    if residual is not None:
        check_tensor("residual", residual)
        if residual.shape != x.shape:
            raise ValueError(
                f"residual must have the shape of x {tuple(x.shape)}, got {tuple(residual.shape)}"
            )
        residual = residual.reshape(x3.shape)
    batch, seq_len = x3.shape[:2]
    offsets = None if cu_seqlens is None else check_cu_seqlens(cu_seqlens, batch, seq_len)
    if state is not None:
        num_seqs = batch if offsets is None else len(offsets) - 1
        _check_state(state, state_name, (num_seqs, dim, width))
    return x3, residual, offsets


def _conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None,
    initial_state: torch.Tensor | None,
    output_final_state: bool,
    activation: str | None,
    cu_seqlens: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The convolution on validated ``x [B, T, D]``; see :func:`causal_conv1d`."""
    seq_len, width = x.shape[1], weight.shape[1]
    dtype = compute_dtype(x, weight, initial_state)
    taps = weight.to(dtype)
    if cu_seqlens is None:
        state = None if initial_state is None else initial_state.transpose(1, 2).to(dtype)
        history = None if state is None else state[:, 1:]  # index 0 never enters the sum
        y = causal_taps(x.to(dtype), taps, history)
    else:
        source = _packed_source(x, initial_state, cu_seqlens.numel() - 1, width, dtype)
        windows, tokens = _packed_windows(source, cu_seqlens, width, seq_len)
        y = causal_taps(windows, taps).index_select(1, tokens)
    if bias is not None:
        y = y + bias.to(dtype)
    if activation is not None:
        y = F.silu(y)
    if residual is not None:
        y = y + residual.to(dtype)

    final_state = None
    if output_final_state:
        if cu_seqlens is None:
            final_state = _last_inputs(x.to(dtype), state, width).transpose(1, 2)
        else:
            final_state = _packed_final_states(source, cu_seqlens, width, seq_len)
        final_state = final_state.to(x.dtype)
    return y.to(x.dtype), final_state


def _last_inputs(x: torch.Tensor, state: torch.Tensor | None, width: int) -> torch.Tensor:
    """The last ``width`` steps of ``[state; x]`` (``state [B, W, D]``, zeros if ``None``)."""
    seq_len = x.shape[1]
    if seq_len >= width:
        return x[:, -width:]
    if state is None:
        state = x.new_zeros(x.shape[0], width, x.shape[2])
    return torch.cat([state[:, seq_len:], x], 1)


def causal_conv1d(
    x: torch.Tensor,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    residual: torch.Tensor | None = None,
    initial_state: torch.Tensor | None = None,
    output_final_state: bool | None = False,
    activation: str | None = None,
    backend: str | None = "triton",
    cu_seqlens: torch.Tensor | None = None,
    cu_seqlens_cpu: torch.Tensor | None = None,
    chunk_indices: torch.Tensor | None = None,
    cp_context: Any = None,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Causal depthwise convolution over time; returns ``(y, final_state)``.

    Args:
        x: ``[B, T, D]`` (``[1, T, D]`` when packed; trailing dims may split ``D``).
        weight: ``[D, W]``. bias: ``[D]`` or ``None``.
        residual: like ``x``, added after the activation.
        initial_state: ``[N, D, W]`` or ``None`` (zeros).
        output_final_state: also return the state ``[N, D, W]`` (``x.dtype``) after the input.
        activation: ``None``, ``'silu'`` or ``'swish'``.
        backend: ``'triton'``, ``'mix'`` or ``'cuda'``; accepted for compatibility, no effect.
        cu_seqlens: ``[N + 1]`` offsets of packed sequences; the convolution never crosses them.
        cu_seqlens_cpu, chunk_indices: scheduling hints of fla's kernels, ignored.
        cp_context, kwargs['seq_idx']: context parallelism and seq_idx varlen, not supported
            (must be ``None``).
    """
    _check_kwargs(dict(kwargs, cp_context=cp_context))
    check_choice("backend", backend, FUNCTIONAL_BACKENDS)
    check_choice("activation", activation, ACTIVATIONS)
    x3, residual, _ = _check_inputs(
        x, weight, bias, residual, initial_state, cu_seqlens, "initial_state"
    )
    y, final_state = _conv(
        x3, weight, bias, residual, initial_state, bool(output_final_state), activation, cu_seqlens
    )
    return y.reshape(x.shape), final_state


def causal_conv1d_update_states(
    x: torch.Tensor,
    state_len: int,
    initial_state: torch.Tensor | None = None,
    cu_seqlens: torch.Tensor | None = None,
) -> torch.Tensor:
    """The state ``[N, D, state_len]`` after ``x [B, T, D]`` (or packed ``[1, T, D]``/``[T, D]``).

    It holds the last ``state_len`` inputs of each sequence, preceded by the end of
    ``initial_state [N, D, state_len]`` (zeros if ``None``) when the sequence is shorter.
    """
    check_tensor("x", x, min_dim=2)
    if x.dim() == 2:
        if cu_seqlens is None:
            raise ValueError("x of shape [T, D] needs cu_seqlens")
        x = x.unsqueeze(0)
    dim = x.shape[-1]
    x = _flatten_channels(x, dim)
    check_int("state_len", state_len, minimum=1)
    offsets = None if cu_seqlens is None else check_cu_seqlens(cu_seqlens, x.shape[0], x.shape[1])
    num_seqs = x.shape[0] if offsets is None else len(offsets) - 1
    if initial_state is not None:
        _check_state(initial_state, "initial_state", (num_seqs, dim, state_len))
    if cu_seqlens is None:
        if initial_state is None:
            history = x.new_zeros(num_seqs, state_len, dim)
        else:
            history = initial_state.transpose(1, 2).to(x.dtype)
        return torch.cat([history, x], 1)[:, -state_len:].transpose(1, 2)
    source = _packed_source(x, initial_state, num_seqs, state_len, x.dtype)
    return _packed_final_states(source, cu_seqlens, state_len, x.shape[1])


def causal_conv1d_update(
    x: torch.Tensor,
    cache: torch.Tensor | None,
    residual: torch.Tensor | None = None,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    activation: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One decoding step: one token per sequence, ``x [N, D]``, ``[N, 1, D]`` or ``[1, N, D]``.

    ``cache [N, D, W]`` is shifted by one and the token appended, **in place**; returns
    ``(y, cache)`` with ``y`` shaped like ``x``. ``cache=None`` means a zero history (not kept).
    """
    check_choice("activation", activation, ACTIVATIONS)
    _check_params(weight, bias)
    dim, width = weight.shape
    check_tensor("x", x, min_dim=2)
    shape = x.shape
    if x.dim() == 2:
        if x.shape[1] != dim:
            raise ValueError(f"x must be [N, {dim}], got shape {tuple(shape)}")
        x = x.unsqueeze(1)
    x = _flatten_channels(x, dim)
    if x.shape[0] != 1 and x.shape[1] != 1:
        raise ValueError(
            f"x must hold one token per sequence ([N, 1, D] or [1, N, D]), got {tuple(shape)}"
        )
    tokens = x.reshape(-1, dim)
    if residual is not None and residual.shape != shape:
        raise ValueError(
            f"residual must have the shape of x {tuple(shape)}, got {tuple(residual.shape)}"
        )
    if cache is not None:
        _check_state(cache, "cache", (tokens.shape[0], dim, width))

    dtype = compute_dtype(x, weight, cache)
    if cache is None:
        history = tokens.new_zeros(tokens.shape[0], dim, width - 1, dtype=dtype)
    else:
        history = cache[..., 1:].to(dtype)
    window = torch.cat([history, tokens.to(dtype).unsqueeze(-1)], -1)
    y = (window * weight.to(dtype)).sum(-1)
    if bias is not None:
        y = y + bias.to(dtype)
    if activation is not None:
        y = F.silu(y)
    if residual is not None:
        y = y + residual.reshape(-1, dim).to(dtype)
    if cache is not None:
        cache.copy_(window)
    return y.to(x.dtype).reshape(shape), cache


class ShortConvolution(nn.Conv1d):
    """Causal depthwise convolution of ``[B, T, hidden_size]`` with an optional per-sequence state.

    An ``nn.Conv1d`` (``weight [hidden_size, 1, kernel_size]``, optional ``bias [hidden_size]``)
    so that state_dicts and initialisation match fla's. ``backend`` (``'triton'``/``'cuda'``) only
    selects a kernel in fla; it is validated and kept for ``repr`` but has no effect here.
    """

    def __init__(
        self,
        hidden_size: int,
        kernel_size: int,
        bias: bool = False,
        activation: str | None = "silu",
        backend: str | None = "triton",
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
        **kwargs,
    ) -> None:
        if "use_fast_conv1d" in kwargs:
            kwargs.pop("use_fast_conv1d")
            warnings.warn("use_fast_conv1d is deprecated and ignored", stacklevel=2)
        if kwargs:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        check_choice("activation", activation, ACTIVATIONS)
        check_choice("backend", backend, BACKENDS)
        super().__init__(
            in_channels=hidden_size,
            out_channels=hidden_size,
            kernel_size=kernel_size,
            padding=kernel_size - 1,
            groups=hidden_size,
            bias=bias,
            device=device,
            dtype=dtype,
        )
        self.hidden_size = hidden_size
        self.activation = activation
        self.backend = backend

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.activation is not None:
            s += f", activation={self.activation}"
        return s + f", backend={self.backend}"

    @property
    def state_size(self) -> int:
        return self.hidden_size * self.kernel_size[0]

    def forward(
        self,
        x: torch.Tensor,
        residual: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        cache: torch.Tensor | None = None,
        output_final_state: bool = False,
        cu_seqlens: torch.LongTensor | None = None,
        chunk_indices: torch.LongTensor | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x [B, T, D]`` -> ``(y [B, T, D], final_state [N, D, W] or None)``.

        Args:
            residual: like ``x``, added to the output.
            mask: ``[B, T]`` padding mask (0 = padding); padded inputs are zeroed before the
                convolution. Not allowed together with ``cu_seqlens``.
            cache: ``[N, D, W]`` state to start from. With autograd off and one token per
                sequence this is a decoding step and ``cache`` is updated **in place**.
            output_final_state: return the state after ``x``.
            cu_seqlens: ``[N + 1]`` offsets of sequences packed into ``x [1, T, D]``.
            chunk_indices: scheduling hint of fla's kernels, ignored.
        """
        _check_kwargs(kwargs)
        weight = self.weight.squeeze(1)
        x3, residual, offsets = _check_inputs(
            x, weight, self.bias, residual, cache, cu_seqlens, "cache"
        )
        batch, seq_len = x3.shape[:2]
        num_seqs = batch if offsets is None else len(offsets) - 1
        if mask is not None:
            if cu_seqlens is not None:
                raise ValueError("mask and cu_seqlens cannot be given together")
            check_tensor("mask", mask)
            if tuple(mask.shape) != (batch, seq_len):
                raise ValueError(
                    f"mask must be [B, T] = [{batch}, {seq_len}], got {list(mask.shape)}"
                )
            x3 = x3.masked_fill(mask.unsqueeze(-1) == 0, 0.0)  # selection: NaN * 0 is NaN
        one_token_each = seq_len == 1 if offsets is None else offsets == list(range(num_seqs + 1))
        if not torch.is_grad_enabled() and one_token_each:
            y, cache = self.step(x3, residual, cache, output_final_state, cu_seqlens)
        else:
            y, cache = _conv(
                x3, weight, self.bias, residual, cache, output_final_state, self.activation,
                cu_seqlens,
            )
        return y.reshape(x.shape), cache

    def step(
        self,
        x: torch.Tensor,
        residual: torch.Tensor | None,
        cache: torch.Tensor | None,
        output_final_state: bool = False,
        cu_seqlens: torch.LongTensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One token per sequence (``[N, 1, D]``, ``[1, N, D]`` packed); updates ``cache`` in place.

        Returns ``(y, cache)``, the cache only if ``output_final_state`` (a fresh zero one when
        ``cache`` is ``None``).
        """
        if cache is None:
            num_seqs = x.shape[0] * x.shape[1] if x.dim() >= 3 else x.shape[0]
            cache = x.new_zeros(num_seqs, self.hidden_size, self.kernel_size[0])
        y, cache = causal_conv1d_update(
            x, cache, residual, self.weight.squeeze(1), self.bias, self.activation,
        )
        return y, (cache if output_final_state else None)


__all__ = [
    "ShortConvolution",
    "causal_conv1d",
    "causal_conv1d_update",
    "causal_conv1d_update_states",
]
