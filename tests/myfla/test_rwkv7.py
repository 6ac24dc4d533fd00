"""RWKV7 ops and layer against their float64 definition, and the layer's protocol and errors."""

import pytest
import torch
import torch.nn.functional as F

from myfla.layers import RWKV7Attention
from myfla.models import Cache
from myfla.modules import LoRA
from myfla.modules.token_shift import token_shift
from myfla.ops.generalized_delta_rule import (
    chunk_dplr_delta_rule,
    fused_recurrent_dplr_delta_rule,
)
from myfla.ops.rwkv7 import chunk_rwkv7, fused_mul_recurrent_rwkv7, fused_recurrent_rwkv7
from tests.golden import rel_err
from tests.myfla.rwkv7_reference import dplr_reference


def make_inputs(batch, seq_len, heads, key_dim, value_dim, dtype, decay=0.6065, seed=0):
    """RWKV7-like op inputs: ``r, w, k, v, kk, alpha`` with ``a = -kk``, ``b = kk * alpha``."""
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=dtype)

    shape = (batch, seq_len, heads, key_dim)
    w = -decay * torch.rand(*shape, generator=gen, dtype=dtype)
    kk = F.normalize(randn(*shape), dim=-1)
    alpha = torch.rand(*shape, generator=gen, dtype=dtype)
    return randn(*shape), w, randn(*shape), randn(batch, seq_len, heads, value_dim), kk, alpha


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("packed", [False, True], ids=["batch", "cu_seqlens"])
def test_chunk_recurrent_and_mul_match_reference(dtype, packed):
    cu = torch.tensor([0, 70, 70, 71, 200]) if packed else None
    batch, seq_len = (1, 200) if packed else (2, 150)
    r, w, k, v, kk, alpha = make_inputs(batch, seq_len, 3, 16, 12, dtype)
    num_seqs = 4 if packed else batch
    h0 = torch.randn(num_seqs, 3, 16, 12, dtype=dtype)
    bounds = (
        [(0, s, e) for s, e in zip(cu[:-1].tolist(), cu[1:].tolist())]
        if packed
        else [(i, 0, seq_len) for i in range(batch)]
    )
    o_ref, s_ref = dplr_reference(r, w, k, v, -kk, kk * alpha, 0.5, h0, bounds)
    common = dict(scale=0.5, initial_state=h0, output_final_state=True, cu_seqlens=cu)
    results = {
        "chunk": chunk_rwkv7(r, w, k, v, -kk, kk * alpha, **common),
        "chunk 16": chunk_rwkv7(r, w, k, v, -kk, kk * alpha, chunk_size=16, **common),
        "recurrent": fused_recurrent_rwkv7(r, w, k, v, -kk, kk * alpha, **common),
        "mul recurrent": fused_mul_recurrent_rwkv7(r, w, k, v, kk, alpha, **common),
    }
    bound = 1e-12 if dtype == torch.float64 else 1e-5
    for name, (o, state) in results.items():
        assert o.dtype == dtype and state.shape == h0.shape, name
        assert rel_err(o, o_ref) <= bound, name
        assert rel_err(state, s_ref) <= bound, name


def test_steep_decays_stay_exact():
    """Decays far beyond the layer's range (down to -20 per step) stay exact and finite."""
    r, w, k, v, kk, alpha = make_inputs(1, 100, 2, 8, 8, torch.float32, decay=20.0)
    o, s = chunk_rwkv7(r, w, k, v, -kk, kk * alpha, output_final_state=True)
    o_ref, s_ref = dplr_reference(r, w, k, v, -kk, kk * alpha, 1.0, None, [(0, 0, 100)])
    assert rel_err(o, o_ref) <= 1e-5 and rel_err(s, s_ref) <= 1e-5


def test_decays_at_the_layers_bound_stay_exact_in_float32():
    """``w = -exp(-0.5)`` at every step: a chunk of 64 decays by exp(-38.8), the factored path's
    steepest case; outputs and gradients in float32 match the float64 recurrence."""
    r, w, k, v, kk, alpha = make_inputs(1, 200, 2, 16, 16, torch.float64)
    w = torch.full_like(w, -0.6065306597126334)
    h0 = torch.randn(1, 2, 16, 16, dtype=torch.float64)
    inputs64 = [x.requires_grad_() for x in (r, w, k, v, -kk, kk * alpha, h0)]
    inputs32 = [x.detach().float().requires_grad_() for x in inputs64]
    results = []
    for op, inputs in ((fused_recurrent_rwkv7, inputs64), (chunk_rwkv7, inputs32)):
        o, s = op(*inputs[:6], scale=1.0, initial_state=inputs[6], output_final_state=True)
        (o * torch.linspace(-1, 1, o.shape[-1], dtype=o.dtype)).sum().add(s.sum()).backward()
        results.append([o, s] + [x.grad for x in inputs])
    for name, got, expected in zip("o s r w k v a b h0".split(), results[1], results[0]):
        assert torch.isfinite(got).all() and rel_err(got, expected) <= 1e-5, name


def test_generalized_delta_rule_ops_default_scale():
    r, w, k, v, kk, alpha = make_inputs(2, 40, 2, 8, 4, torch.float64)
    o1, _ = chunk_dplr_delta_rule(r, k, v, -kk, kk * alpha, w)
    o2, _ = fused_recurrent_dplr_delta_rule(r, k, v, -kk, kk * alpha, w)
    o3, _ = chunk_rwkv7(r, w, k, v, -kk, kk * alpha, scale=8**-0.5)
    assert rel_err(o1, o2) <= 1e-12 and rel_err(o1, o3) <= 1e-12


def test_chunk_gradcheck():
    r, w, k, v, kk, alpha = make_inputs(1, 20, 1, 3, 2, torch.float64)
    h0 = torch.randn(1, 1, 3, 2, dtype=torch.float64)
    inputs = [x.requires_grad_() for x in (r, w, k, v, -kk, kk * alpha, h0)]

    def run(r, w, k, v, a, b, h0):
        return chunk_rwkv7(
            r, w, k, v, a, b, initial_state=h0, output_final_state=True, chunk_size=16
        )

    assert torch.autograd.gradcheck(run, inputs, atol=1e-7, fast_mode=True)


def test_half_precision_keeps_a_float32_state():
    r, w, k, v, kk, alpha = make_inputs(1, 70, 2, 8, 8, torch.float32)
    o, s = chunk_rwkv7(
        *(x.bfloat16() for x in (r, w, k, v, -kk, kk * alpha)), output_final_state=True
    )
    assert o.dtype == torch.bfloat16 and s.dtype == torch.float32


def test_op_errors_name_the_argument():
    r, w, k, v, kk, alpha = make_inputs(1, 10, 2, 8, 4, torch.float32)
    with pytest.raises(ValueError, match="w must have shape"):
        chunk_rwkv7(r, w[..., :4], k, v, -kk, kk * alpha)
    with pytest.raises(ValueError, match="v must have shape"):
        chunk_rwkv7(r, w, k, v[:, :5], -kk, kk * alpha)
    with pytest.raises(ValueError, match="initial_state must have shape"):
        chunk_rwkv7(r, w, k, v, -kk, kk * alpha, initial_state=torch.zeros(2, 2, 8, 4))
    with pytest.raises(ValueError, match="chunk_size"):
        chunk_rwkv7(r, w, k, v, -kk, kk * alpha, chunk_size=48)
    with pytest.raises(ValueError, match="kk must have shape"):
        fused_mul_recurrent_rwkv7(r, w, k, v, kk[..., :4], alpha)
    with pytest.raises(ValueError, match="cu_seqlens must end"):
        chunk_rwkv7(r, w, k, v, -kk, kk * alpha, cu_seqlens=torch.tensor([0, 4]))
    with pytest.raises(NotImplementedError, match="cp_context"):
        chunk_rwkv7(r, w, k, v, -kk, kk * alpha, cp_context=object())


def test_token_shift_cache_and_packed_sequences():
    x, cache = torch.randn(1, 9, 4), torch.randn(3, 4)
    cu = torch.tensor([0, 4, 4, 9])
    delta, last = token_shift(x, cu, cache=cache, output_cache=True)
    for n, (s, e) in enumerate(zip(cu[:-1].tolist(), cu[1:].tolist())):
        if e > s:
            single, single_last = token_shift(x[:, s:e], cache=cache[n : n + 1], output_cache=True)
            assert torch.equal(delta[:, s:e], single) and torch.equal(last[n], single_last[0])
        else:
            assert torch.equal(last[n], cache[n])
    assert torch.equal(token_shift(x)[:, 0], -x[:, 0])


def test_lora_matches_fla_layout():
    lora = LoRA(8, 6, 4, activation="sigmoid", bias=False)
    assert list(lora.state_dict()) == ["lora.0.weight", "lora.2.weight"]
    assert torch.count_nonzero(lora.lora[0].weight) == 0
    with pytest.raises(ValueError, match="activation"):
        LoRA(8, 6, 4, activation="gelu")


LAYER = dict(hidden_size=32, head_dim=8, num_hidden_layers=3)


def perturbed(layer):
    torch.manual_seed(1)
    with torch.no_grad():
        for param in layer.parameters():
            param.add_(0.1 * torch.randn_like(param))
    return layer


def test_parameters_and_initialisation_follow_fla():
    layer0, layer1 = RWKV7Attention(**LAYER, layer_idx=0), RWKV7Attention(**LAYER, layer_idx=1)
    assert "v_lora.lora.0.weight" not in layer0.state_dict()
    assert layer1.state_dict()["v_lora.lora.2.bias"].shape == (32,)
    assert layer1.decay_low_rank_dim == 32 and layer1.gate_low_rank_dim == 32
    assert torch.all(layer1.k_a == 1.02) and torch.all(layer1.r_k == -0.04)
    assert torch.count_nonzero(layer1.o_proj.weight) == 0
    assert torch.allclose(layer1.g_norm.weight, torch.full((32,), (2 / 3) ** 0.7))
    assert RWKV7Attention(hidden_size=32, head_dim=None, num_heads=2).head_dim == 16
    assert RWKV7Attention(hidden_size=1024, head_dim=128).decay_low_rank_dim == 160


def test_layer_errors():
    with pytest.raises(ValueError, match="mode"):
        RWKV7Attention(**LAYER, mode="fused_chunk")
    with pytest.raises(ValueError, match="head_dim"):
        RWKV7Attention(hidden_size=30, head_dim=8)
    with pytest.raises(ValueError, match="value_dim"):
        RWKV7Attention(hidden_size=32, head_dim=8, value_dim=30)
    with pytest.raises(ValueError, match="num_hidden_layers"):
        RWKV7Attention(hidden_size=32, head_dim=8, layer_idx=0)
    layer = RWKV7Attention(**LAYER, layer_idx=1)
    x = torch.randn(2, 5, 32)
    with pytest.raises(ValueError, match="v_first is required"):
        layer(x)
    with pytest.raises(ValueError, match="v_first must have shape"):
        layer(x, v_first=torch.randn(2, 5, 16))
    with pytest.raises(ValueError, match="hidden_size=32"):
        layer(torch.randn(2, 5, 16), v_first=x)
    with pytest.raises(ValueError, match="attention_mask"):
        layer(x, v_first=x, attention_mask=torch.ones(2, 5, 5))


@pytest.mark.parametrize("grad", [False, True], ids=["eval", "autograd"])
def test_cache_continuation_equals_one_pass(grad):
    layer = perturbed(RWKV7Attention(**LAYER, layer_idx=1)).double().eval()
    x, v_first = torch.randn(2, 90, 32, dtype=torch.float64), torch.randn(2, 90, 32).double()
    with torch.set_grad_enabled(grad):
        whole = layer(x, v_first=v_first)[0]
        cache, parts = Cache(), []
        for s, e in ((0, 40), (40, 41), (41, 90)):
            parts.append(
                layer(x[:, s:e], v_first=v_first[:, s:e], past_key_values=cache, use_cache=True)[0]
            )
    assert rel_err(torch.cat(parts, 1), whole) <= 1e-12
    assert cache[1]["conv_state"].shape == (2, 32)
    assert cache[1]["recurrent_state"].shape == (2, 4, 8, 8)
    assert cache.get_seq_length(1) == 90


def test_packed_sequences_equal_one_at_a_time():
    layer = perturbed(RWKV7Attention(**LAYER, layer_idx=0)).double().train()
    lens = [30, 1, 69]
    x = torch.randn(1, sum(lens), 32, dtype=torch.float64)
    cu = torch.tensor([0, 30, 31, 100])
    o, _, _, v_first = layer(x, cu_seqlens=cu)
    for s, e in zip(cu[:-1].tolist(), cu[1:].tolist()):
        single, _, _, single_v = layer(x[:, s:e])
        assert rel_err(o[:, s:e], single) <= 1e-12 and rel_err(v_first[:, s:e], single_v) <= 1e-12


def test_left_padding_equals_unpadded_sequence():
    layer = perturbed(RWKV7Attention(**LAYER, layer_idx=0)).double().eval()
    x = torch.randn(1, 20, 32, dtype=torch.float64)
    mask = torch.ones(2, 20, dtype=torch.long)
    mask[1, :7] = 0
    batch = torch.cat([x, torch.cat([torch.zeros(1, 7, 32).double(), x[:, :13]], 1)])
    o = layer(batch, attention_mask=mask)[0]
    assert rel_err(o[1, 7:], layer(x[:, :13])[0][0]) <= 1e-12


def test_stack_passes_v_first_forward_and_backward():
    layers = torch.nn.ModuleList(
        perturbed(RWKV7Attention(**LAYER, layer_idx=i)) for i in range(3)
    ).train()
    x = torch.randn(2, 70, 32, requires_grad=True)
    h, v_first = x, None
    for layer in layers:
        o, _, _, v_first = layer(h, v_first=v_first)
        h = h + o
    h.square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in layers.parameters())
