"""The gated delta rule in canonical form: chunked (WY representation) and token by token.

Canonical inputs are head-first and share one floating dtype, with as many key heads as value
heads (grouped heads are expanded by the caller):
``q, k: [B, H, T, K]``, ``v: [B, H, T, V]``, ``g: [B, H, T]`` log decays, ``beta: [B, H, T]``,
``initial_state: [B, H, K, V]`` (key-first). Each step computes

    S_t = a_t S_{t-1} + k_t u_t^T,   u_t = beta_t (v_t - a_t S_{t-1}^T k_t),   o_t = scale S_t^T q_t

with ``a_t = exp(g_t)``. A step with ``k_t = 0``, ``beta_t = 0`` and ``g_t = 0`` leaves the
state unchanged: padding made of such steps is exact.
"""

from typing import Optional, Tuple

import torch

from .chunked import fit_chunk_size, flat, merge_chunk_major, to_chunks
from .decays import START, chunk_decay, decay_between, decay_matrix, factored_chunks
from .l2norm import inverse_l2_norm
from .nonfinite import causal_for_nonfinite
from .scan import scan_chunks
from .triangular import unit_lower_inverse


@causal_for_nonfinite("g")
def chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    chunk_size: int = 64,
    qk_l2norm: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked gated delta rule; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    Inside a chunk starting from state ``S``, with ``G_i`` the cumulative log decay, the
    corrected values satisfy ``(I + A) u = beta v - beta exp(G) k S`` where
    ``A_ij = beta_i exp(G_i - G_j) k_i.k_j`` for ``j < i``. One inverse per chunk gives
    ``u = U + W S`` (the WY/UT form), and only the state is carried from chunk to chunk; the
    outputs are ``o = scale (exp(G) q S + (q k^T * exp(G_i - G_j)) u)``. ``qk_l2norm``: ``q`` and
    ``k`` are L2-normalised (fla's ``use_qk_l2norm_in_kernel``), their factors folded into the
    products below. Where no chunk decays by more than ``exp(-SPREAD_LIMIT)`` (read on the host
    where that is free) the in-chunk decays are factors of the rows and columns; otherwise the
    ``C x C`` matrix of ``exp(G_i - G_j)``.
    """
    seq_len = k.shape[2]
    size = fit_chunk_size(chunk_size, seq_len)
    q, k, v = (to_chunks(x, size) for x in (q, k, v))  # [NT, B, H, C, .], views
    g, beta = (to_chunks(x, size).contiguous() for x in (g, beta))  # [NT, B, H, C]
    q_rows = torch.full_like(beta, scale)
    k_rows = None
    if qk_l2norm:
        q_rows = q_rows * inverse_l2_norm(q)
        k_rows = inverse_l2_norm(k)
    decay = chunk_decay(g, -1)
    from_start = decay_between(decay, START)  # exp(G)
    last = decay.map(lambda x: x[..., -1:])
    to_end = decay_between(last, decay)  # exp(G_C - G)
    if factored_chunks(decay, None, dim=-1):
        k_back = rows(_times(from_start.reciprocal(), k_rows), k)  # exp(-G) <= exp(SPREAD_LIMIT)
        q_in = rows(from_start * q_rows, q)
        scores = (q_in @ k_back.mT).tril_()
        k_beta = rows(_times(-beta * from_start, k_rows), k)  # -beta exp(G) k
        inverse = unit_lower_inverse(k_beta @ k_back.mT, sign=-1.0)  # (I + A)^-1
        k_end = rows(_times(to_end, k_rows), k)  # k exp(G_C - G)
    else:
        pairs = decay_matrix(decay)  # exp(G_i - G_j), j <= i
        k_unit = k.contiguous() if k_rows is None else rows(k_rows, k)
        q_scaled = rows(q_rows, q)
        scores = (q_scaled @ k_unit.mT) * pairs
        inverse = unit_lower_inverse((rows(beta, k_unit) @ k_unit.mT) * pairs)
        q_in = rows(from_start, q_scaled)
        k_beta = rows(-beta * from_start, k_unit)
        k_end = rows(to_end, k_unit)
    starts, u, state = scan_chunks(
        initial_state.flatten(0, 1),
        decay_between(last, START)[..., None].flatten(1, 2),  # exp(G_C): [NT, B * H, 1, 1]
        u_local=(inverse @ rows(beta, v)).flatten(1, 2),
        w=(inverse @ k_beta).flatten(1, 2),
        e=k_end.flatten(1, 2),
    )
    o = torch.bmm(flat(q_in), flat(starts)).baddbmm_(flat(scores), flat(u))
    return merge_chunk_major(o.view(v.shape[:-1] + o.shape[-1:]), seq_len), state.view_as(
        initial_state
    )


def rows(factor: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``factor [..., C]`` times the rows of ``x [..., C, D]``; the contiguous factor first, so
    that the product is laid out as it is (chunk-major) whatever the strides of ``x``."""
    return factor.unsqueeze(-1) * x


def _times(factor: torch.Tensor, other: Optional[torch.Tensor]) -> torch.Tensor:
    return factor if other is None else factor * other


def recurrent_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    g: Optional[torch.Tensor] = None,
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token gated delta rule; returns ``o: [B, H, T, V]`` and the final state.

    Decays may be per head (``g: [B, H, T]``), per key (``gk: [B, H, T, K]``) or per value
    (``gv: [B, H, T, V]``), and ``beta`` per head ``[B, H, T]`` or per value ``[B, H, T, V]``.
    """
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
    if beta.dim() == 3:
        beta = beta.unsqueeze(-1)
    q = q * scale
    outputs = []
    for t in range(seq_len):
        if g is not None:
            state = state * g[:, :, t, None, None].exp()
        if gk is not None:
            state = state * gk[:, :, t, :, None].exp()
        if gv is not None:
            state = state * gv[:, :, t, None, :].exp()
        k_t = k[:, :, t]
        u = beta[:, :, t] * (v[:, :, t] - (k_t.unsqueeze(-2) @ state).squeeze(-2))
        state = state + k_t.unsqueeze(-1) * u.unsqueeze(-2)
        outputs.append((q[:, :, t].unsqueeze(-2) @ state).squeeze(-2))
    return torch.stack(outputs, dim=2), state
