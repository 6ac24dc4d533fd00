"""``reverse=True`` of the DPLR token-by-token ops, as fla's kernels: each sequence from its last
token to its first, held to a float64 loop written backwards."""

import pytest
import torch
import torch.nn.functional as F

from myfla.ops.generalized_delta_rule import fused_recurrent_dplr_delta_rule
from myfla.ops.rwkv7 import fused_mul_recurrent_rwkv7


def reversed_dplr(q, k, v, a, b, gk, scale, h0, bounds):
    """float64 ``S = diag(exp(gk_t)) S + b_t (a_t^T S) + k_t v_t^T``, ``o_t = scale S^T q_t``,
    for ``t`` from each sequence's end down to its start; ``bounds``: ``(row, start, end)``."""
    o, states = torch.zeros_like(v), []
    for n, (row, start, end) in enumerate(bounds):
        s = h0[n].clone()
        for t in reversed(range(start, end)):
            read = torch.einsum("hk,hkv->hv", a[row, t], s)
            s = gk[row, t].exp()[..., None] * s + b[row, t][..., None] * read[:, None, :]
            s = s + k[row, t][..., None] * v[row, t][:, None, :]
            o[row, t] = scale * torch.einsum("hk,hkv->hv", q[row, t], s)
        states.append(s)
    return o, torch.stack(states)


def inputs(batch, seq_len, num_seqs, heads=2, key_dim=4, value_dim=3):
    torch.manual_seed(seq_len)
    shape = (batch, seq_len, heads, key_dim)
    q, k = torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64)
    v = torch.randn(batch, seq_len, heads, value_dim, dtype=torch.float64)
    kk = F.normalize(torch.randn(shape, dtype=torch.float64), dim=-1)
    gate = torch.rand(shape, dtype=torch.float64)
    gk = -0.6 * torch.rand(shape, dtype=torch.float64)
    h0 = torch.randn(num_seqs, heads, key_dim, value_dim, dtype=torch.float64)
    return q, k, v, kk, gate, gk, h0


CASES = [(None, 2, 9), ([0, 4, 4, 11], 1, 11)]  # (cu_seqlens, B, T): dense, packed with a gap


@pytest.mark.parametrize("offsets, batch, seq_len", CASES, ids=["dense", "packed"])
def test_dplr_reverse(offsets, batch, seq_len):
    cu = None if offsets is None else torch.tensor(offsets)
    bounds = [(i, 0, seq_len) for i in range(batch)] if cu is None else [
        (0, s, e) for s, e in zip(offsets[:-1], offsets[1:])
    ]  # fmt: skip
    q, k, v, kk, gate, gk, h0 = inputs(batch, seq_len, len(bounds))
    a, b = -kk, kk * gate
    o, state = fused_recurrent_dplr_delta_rule(
        q, k, v, a, b, gk, scale=0.5, initial_state=h0, output_final_state=True,
        reverse=True, cu_seqlens=cu,
    )  # fmt: skip
    ref_o, ref_state = reversed_dplr(q, k, v, a, b, gk, 0.5, h0, bounds)
    torch.testing.assert_close(o, ref_o, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(state, ref_state, rtol=1e-10, atol=1e-10)

    o, state = fused_mul_recurrent_rwkv7(
        q, gk, k, v, kk, gate, scale=0.5, initial_state=h0, output_final_state=True,
        reverse=True, cu_seqlens=cu,
    )  # fmt: skip
    torch.testing.assert_close(o, ref_o, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(state, ref_state, rtol=1e-10, atol=1e-10)
