"""What the layers share (fla.layers.utils): padding helpers, input checks, the choice of op
(chunk or token by token), the projections with their short convolutions and the cache access.

A ``[B, T]`` attention mask (1 = token, 0 = padding) turns padded ``[B, T, ...]`` tensors into
packed ``[total, ...]`` ones (tokens in row-major order) plus ``cu_seqlens [B + 1]`` (int32) for
the varlen ops, and back.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from myfla._checks import check_tensor

# Inputs of at most this many tokens run token by token, as in fla (see select_mode).
RECURRENT_MAX_LEN = 64
# Keyword arguments of the layers' forward that fla reads (cu_seqlens) or that its models and
# transformers' generation pass to every layer; any other name draws a warning.
FORWARD_KWARGS = ("cu_seqlens", "cu_seqlens_cpu", "position_ids", "cache_position")


def _check_indices(indices: Any) -> None:
    check_tensor("indices", indices)
    if indices.dim() != 1 or indices.dtype.is_floating_point or indices.dtype == torch.bool:
        raise ValueError(
            f"indices must be a 1-D integer tensor, got {indices.dtype} {tuple(indices.shape)}"
        )


def _check_mask(attention_mask: Any) -> None:
    check_tensor("attention_mask", attention_mask)
    if attention_mask.dim() != 2:
        raise ValueError(
            "attention_mask must be a [batch_size, seq_len] 0/1 padding mask, "
            f"got shape {tuple(attention_mask.shape)}"
        )


def index_first_axis(x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Rows ``x[indices]`` of ``x [N, ...]`` -> ``[len(indices), ...]``; differentiable in ``x``."""
    check_tensor("x", x)
    _check_indices(indices)
    return x.index_select(0, indices)


def index_put_first_axis(
    x: torch.Tensor, indices: torch.Tensor, first_axis_dim: int
) -> torch.Tensor:
    """Zeros ``[first_axis_dim, ...]`` with ``x [len(indices), ...]`` written at rows ``indices``.

    Differentiable in ``x``; ``indices`` must not repeat.
    """
    check_tensor("x", x)
    _check_indices(indices)
    if indices.shape[0] != x.shape[0]:
        raise ValueError(
            f"indices must have one entry per row of x ({x.shape[0]}), got {indices.shape[0]}"
        )
    out = x.new_zeros((first_axis_dim,) + tuple(x.shape[1:]))
    return out.index_copy(0, indices, x)


def _lens_and_cu_seqlens(attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lens = attention_mask.sum(-1, dtype=torch.int32)
    return lens, F.pad(lens.cumsum(0, dtype=torch.int32), (1, 0))


def get_unpad_data(attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``(indices [total], cu_seqlens [B + 1] int32, max_seqlen)`` of a ``[B, T]`` padding mask.

    ``indices`` are the flat positions ``b * T + t`` of the tokens.
    """
    _check_mask(attention_mask)
    lens, cu_seqlens = _lens_and_cu_seqlens(attention_mask)
    indices = torch.nonzero(attention_mask.flatten(), as_tuple=False).flatten()
    return indices, cu_seqlens, int(lens.max().item())


def get_unpad_indices_and_cu(
    attention_mask: torch.Tensor,
    q_len: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(indices, cu_seqlens)`` of the last ``q_len`` columns of ``attention_mask [B, T]``."""
    _check_mask(attention_mask)
    if q_len is not None and q_len != attention_mask.shape[-1]:
        if not 0 < q_len <= attention_mask.shape[-1]:
            raise ValueError(
                f"q_len must be in [1, {attention_mask.shape[-1]}] (the mask length), got {q_len}"
            )
        attention_mask = attention_mask[:, -q_len:]
    indices, cu_seqlens, _ = get_unpad_data(attention_mask)
    return indices, cu_seqlens


def unpad_hidden_states(
    hidden_states: torch.Tensor,
    cu_seqlens: torch.LongTensor | None,
    attention_mask: torch.Tensor | None,
    q_len: int,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.LongTensor | None]:
    """Pack ``hidden_states [B, q_len, ...]`` by ``attention_mask`` unless ``cu_seqlens`` is given.

    Returns ``(hidden_states, indices, cu_seqlens)``: packed ``[1, total, ...]`` with the token
    indices and offsets of the mask's last ``q_len`` columns; or the input unchanged, ``None``
    and the given ``cu_seqlens`` when ``cu_seqlens`` is given or there is no mask.
    """
    if cu_seqlens is not None or attention_mask is None:
        return hidden_states, None, cu_seqlens
    check_tensor("hidden_states", hidden_states, min_dim=2)
    if tuple(hidden_states.shape[:2]) != (attention_mask.shape[0], q_len):
        raise ValueError(
            f"hidden_states must be [B, q_len, ...] = [{attention_mask.shape[0]}, {q_len}, ...], "
            f"got {tuple(hidden_states.shape)}"
        )
    indices, cu_seqlens = get_unpad_indices_and_cu(attention_mask, q_len)
    flat = hidden_states.reshape((-1,) + tuple(hidden_states.shape[2:]))
    return index_first_axis(flat, indices).unsqueeze(0), indices, cu_seqlens


def pad_input(
    hidden_states: torch.Tensor,
    indices: torch.LongTensor,
    batch_size: int,
    seq_len: int,
) -> torch.Tensor:
    """Packed ``[total, ...]`` back to ``[batch_size, seq_len, ...]`` with zeros at padding."""
    out = index_put_first_axis(hidden_states, indices, batch_size * seq_len)
    return out.reshape((batch_size, seq_len) + tuple(out.shape[1:]))


def repad_hidden_states(
    hidden_states: torch.Tensor,
    indices: torch.Tensor | None,
    batch_size: int,
    q_len: int,
) -> torch.Tensor:
    """Inverse of :func:`unpad_hidden_states`: ``[1, total, ...]`` -> ``[B, q_len, ...]``.

    Returns ``hidden_states`` unchanged when ``indices`` is ``None``.
    """
    if indices is None:
        return hidden_states
    check_tensor("hidden_states", hidden_states, min_dim=2)
    if hidden_states.shape[0] != 1:
        raise ValueError(
            f"hidden_states must be packed [1, total, ...], got {tuple(hidden_states.shape)}"
        )
    return pad_input(hidden_states.squeeze(0), indices, batch_size, q_len)


def unpad_input(
    q: torch.Tensor | tuple[torch.Tensor, ...],
    states: tuple[torch.Tensor, ...],
    attention_mask: torch.Tensor,
    q_len: int,
    keepdim: bool = False,
):
    """Pack queries and key/value-like states by ``attention_mask [B, T]`` (flash-attn style).

    Args:
        q: ``[B, q_len, ...]`` or a tuple of such; ``q_len`` must be ``T`` (prefill) or 1 (decode).
        states: tuple of ``[B, T, ...]``.
        keepdim: keep a leading batch dim of 1 on the packed tensors.

    Returns:
        ``(q, states, indices_q, (cu_seqlens_q, cu_seqlens_k), (max_seqlen_q, max_seqlen_k))``,
        with ``q`` and ``states`` packed to ``[total, ...]`` (``q`` a tuple if given as one).
    """
    indices_k, cu_seqlens_k, max_seqlen_k = get_unpad_data(attention_mask)
    batch_size, seq_len = states[0].shape[:2]
    states = tuple(
        index_first_axis(s.reshape((-1,) + tuple(s.shape[2:])), indices_k) for s in states
    )
    is_tensor = isinstance(q, torch.Tensor)
    queries = (q,) if is_tensor else tuple(q)
    if q_len == seq_len:
        queries = tuple(
            index_first_axis(t.reshape((-1,) + tuple(t.shape[2:])), indices_k) for t in queries
        )
        indices_q, cu_seqlens_q, max_seqlen_q = indices_k, cu_seqlens_k, max_seqlen_k
    elif q_len == 1:
        cu_seqlens_q = torch.arange(batch_size + 1, dtype=torch.int32, device=queries[0].device)
        indices_q, max_seqlen_q = cu_seqlens_q[:-1], 1
        queries = tuple(t.squeeze(1) for t in queries)
    else:
        raise NotImplementedError(
            f"unpad_input supports q_len == seq_len (prefill) or q_len == 1 (decode), "
            f"got q_len={q_len}, seq_len={seq_len}"
        )
    if keepdim:
        queries = tuple(t.unsqueeze(0) for t in queries)
        states = tuple(s.unsqueeze(0) for s in states)
    return (
        queries[0] if is_tensor else queries,
        states,
        indices_q,
        (cu_seqlens_q, cu_seqlens_k),
        (max_seqlen_q, max_seqlen_k),
    )


def check_layer_inputs(
    hidden_states: Any, hidden_size: int, attention_mask: torch.Tensor | None
) -> None:
    """``hidden_states: [B, T, hidden_size]`` and an optional left-padding mask ``[B, T']``.

    The mask covers the tokens of this call and, when decoding, those before (``T' >= T``); its
    rows are zeros, then ones (fla's left padding). Its values are checked in eager mode only.
    """
    if not isinstance(hidden_states, torch.Tensor) or hidden_states.dim() != 3:
        raise ValueError("hidden_states must be a [B, T, hidden_size] tensor")
    if hidden_states.shape[-1] != hidden_size:
        raise ValueError(
            f"hidden_states must have last dimension hidden_size={hidden_size}, "
            f"got {list(hidden_states.shape)}"
        )
    if attention_mask is not None:
        check_left_padding(attention_mask, *hidden_states.shape[:2])


def check_left_padding(attention_mask: Any, batch_size: int, seq_len: int) -> None:
    """``attention_mask: [batch_size, T' >= seq_len]``, each row zeros then ones."""
    check_tensor("attention_mask", attention_mask)
    if attention_mask.dim() != 2:
        raise ValueError(
            "attention_mask must be a [B, T] 0/1 padding mask; "
            f"[B, T, T] attention masks are not supported, got {list(attention_mask.shape)}"
        )
    if attention_mask.shape[0] != batch_size or attention_mask.shape[1] < seq_len:
        raise ValueError(
            f"attention_mask must be [B, T] with B={batch_size} (the batch of hidden_states) and "
            f"T >= {seq_len} (its length), got {list(attention_mask.shape)}"
        )
    if torch.compiler.is_compiling() or attention_mask.numel() == 0:
        return
    binary = ((attention_mask == 0) | (attention_mask == 1)).all()
    if not binary or (attention_mask[:, 1:] < attention_mask[:, :-1]).any():
        raise ValueError(
            "attention_mask must be a 0/1 left-padding mask (each row zeros, then ones), as fla's "
            "layers take it; right padding or holes are not supported"
        )


def select_mode(
    mode: str,
    seq_len: int,
    training: bool,
    *,
    recurrent_max_len: int = RECURRENT_MAX_LEN,
    recurrent_only_in_inference: bool = False,
) -> str:
    """The op that a layer configured with ``mode`` runs on ``seq_len`` tokens.

    Short inputs (``seq_len <= recurrent_max_len``) run ``'fused_recurrent'``, others ``mode``.
    With ``recurrent_only_in_inference``, the token loop is for inference only: autograd on means
    ``'chunk'``, short inputs run token by token in eval mode only, and training with autograd
    off refuses a ``mode`` other than ``'chunk'``.

    fla 0.6.0's three rules, which the layers keep through these arguments:

    - GatedLinearAttention: ``'fused_recurrent'`` if ``T <= 64``, else ``mode``;
      ``select_mode(mode, T, training)``.
    - GatedDeltaNet: ``'chunk'`` with autograd on, else ``'fused_recurrent'`` if ``T <= 64`` in
      eval mode, else ``mode`` (asserted to be ``'chunk'`` in training);
      ``select_mode(mode, T, training, recurrent_only_in_inference=True)``.
    - RWKV7Attention: ``'chunk'`` in training, with autograd on or if ``T >= 64``, else
      ``'fused_recurrent'``; its ``mode`` is never read: ``select_mode('chunk', T, training,
      recurrent_max_len=63, recurrent_only_in_inference=True)``.
    """
    if recurrent_only_in_inference and torch.is_grad_enabled():
        return "chunk"
    if seq_len <= recurrent_max_len and not (recurrent_only_in_inference and training):
        return "fused_recurrent"
    if recurrent_only_in_inference and training and mode != "chunk":
        raise ValueError(
            f"mode={mode!r} with autograd off in training: the layer supports only mode='chunk' "
            "in training"
        )
    return mode


def require_cache_layer_idx(module: nn.Module, past_key_values: Any) -> int | None:
    """``module.layer_idx``; a ``ValueError`` if a cache is given but the layer has no index.

    ``past_key_values`` must be ``None`` or a cache (``myfla.models.Cache`` or fla's): a
    ``TypeError`` for a plain dict, a list or anything without the cache's ``update``.
    """
    updatable = callable(getattr(past_key_values, "update", None))
    if past_key_values is not None and (isinstance(past_key_values, Mapping) or not updatable):
        raise TypeError(
            "past_key_values must be a cache (myfla.models.Cache) or None, "
            f"got {type(past_key_values).__name__}"
        )
    layer_idx = getattr(module, "layer_idx", None)
    if past_key_values is not None and layer_idx is None:
        raise ValueError(
            f"{type(module).__name__} needs layer_idx when past_key_values is given; "
            "construct it with layer_idx=<its position in the model>"
        )
    return layer_idx


def get_layer_cache(module: nn.Module, past_key_values: Any) -> dict[str, Any] | None:
    """The layer's state dict in ``past_key_values``, or ``None`` (no cache / layer not stored)."""
    layer_idx = require_cache_layer_idx(module, past_key_values)
    if past_key_values is not None and len(past_key_values) > layer_idx:
        return past_key_values[layer_idx]
    return None


def update_layer_cache(
    module: nn.Module, past_key_values: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """``past_key_values.update(layer_idx=module.layer_idx, **kwargs)``; ``None`` without cache."""
    layer_idx = require_cache_layer_idx(module, past_key_values)
    if past_key_values is not None:
        return past_key_values.update(layer_idx=layer_idx, **kwargs)
    return None




def project_and_convolve(
    hidden_states: torch.Tensor,
    projections: tuple[nn.Module, ...],
    convs: tuple[nn.Module, ...] | None,
    last_state: dict[str, Any] | None,
    use_cache: bool | None,
    cu_seqlens: torch.Tensor | None,
) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor | None, ...]]:
    """Each projection of ``hidden_states [B, T, D]``, then its short convolution when ``convs``
    is given, continuing from the conv states cached in ``last_state``.

    Returns the projected tensors and the new conv states (``None`` each without convolutions
    or without ``use_cache``).
    """
    if convs is None:
        return tuple(proj(hidden_states) for proj in projections), (None,) * len(projections)
    states = (None,) * len(convs) if last_state is None else last_state["conv_state"]
    outputs = [
        conv(proj(hidden_states), cache=state, output_final_state=use_cache, cu_seqlens=cu_seqlens)
        for proj, conv, state in zip(projections, convs, states)
    ]
    return tuple(y for y, _ in outputs), tuple(state for _, state in outputs)


__all__ = [
    "check_layer_inputs",
    "check_left_padding",
    "get_layer_cache",
    "get_unpad_data",
    "get_unpad_indices_and_cu",
    "index_first_axis",
    "index_put_first_axis",
    "pad_input",
    "project_and_convolve",
    "repad_hidden_states",
    "require_cache_layer_idx",
    "select_mode",
    "unpad_hidden_states",
    "unpad_input",
    "update_layer_cache",
]
