"""The GLA ops against the float64 token-by-token definition and each other."""

import pytest
import torch
import torch.nn.functional as F

from myfla.ops.gla import chunk_gla, fused_chunk_gla, fused_recurrent_gla, naive_recurrent_gla
from myfla.ops.kernels.decays import chunk_decay, intra_chunk_scores
from tests.golden import rel_err


def recurrent(q, k, v, g, **kwargs):
    return fused_recurrent_gla(q, k, v, gk=g, **kwargs)


OPS = {"chunk": chunk_gla, "fused_chunk": fused_chunk_gla, "recurrent": recurrent}
# Log decays per step: mild (as the layer makes them), near the factored path's limit (a chunk
# of 64 decays by exp(-38.4), SPREAD_LIMIT being 40), strong, and down to -20 per step.
GATES = {
    "mild": lambda x: F.logsigmoid(x) / 16,
    "near_the_limit": lambda x: torch.full_like(x, -0.6),
    "strong": lambda x: F.logsigmoid(x * 4) * 2,
    "down_to_-20": lambda x: -20 * torch.sigmoid(3 * x),
}


def make_inputs(B=2, T=150, H=2, K=8, V=6, gate="mild", h0=True, N=None, v_first=False, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    N = B if N is None else N
    state_shape = (N, H, V, K) if v_first else (N, H, K, V)
    return dict(
        q=rand(B, T, H, K),
        k=rand(B, T, H, K),
        v=rand(B, T, H, V),
        g=GATES[gate](rand(B, T, H, K)),
        initial_state=rand(*state_shape) if h0 else None,
    )


def reference(inputs, v_first=False, **kwargs):
    h0 = inputs["initial_state"]
    if h0 is not None and v_first:
        h0 = h0.transpose(-1, -2)
    o, s = naive_recurrent_gla(
        inputs["q"], inputs["k"], inputs["v"], inputs["g"], h0, True, **kwargs
    )
    return o, (s.transpose(-1, -2) if v_first else s)


@pytest.mark.parametrize("v_first", [False, True], ids=["key_first", "v_first"])
@pytest.mark.parametrize("h0", [True, False], ids=["h0", "no_h0"])
@pytest.mark.parametrize("gate", list(GATES))
@pytest.mark.parametrize("op", list(OPS))
def test_matches_float64_definition(op, gate, h0, v_first):
    inputs = make_inputs(gate=gate, h0=h0, v_first=v_first)
    o, s = OPS[op](**inputs, output_final_state=True, state_v_first=v_first, scale=0.3)
    o_ref, s_ref = reference(inputs, v_first, scale=0.3)
    assert torch.isfinite(o).all() and torch.isfinite(s).all()
    assert rel_err(o, o_ref) < 1e-12 and rel_err(s, s_ref) < 1e-12


@pytest.mark.parametrize("gate", list(GATES))
def test_float32_stays_finite_and_close(gate):
    inputs = make_inputs(T=300, K=16, V=16, gate=gate)
    o_ref, s_ref = reference(inputs)
    for op in OPS.values():
        o, s = op(**{n: t.float() for n, t in inputs.items()}, output_final_state=True)
        assert o.dtype == torch.float32 and s.dtype == torch.float32
        assert torch.isfinite(o).all() and torch.isfinite(s).all()
        assert rel_err(o, o_ref) < 1e-5 and rel_err(s, s_ref) < 1e-5


@pytest.mark.parametrize("gate", list(GATES))
def test_intra_chunk_scores_every_path(gate):
    """Factorized, sub-chunked and exact per-key scores equal the plain definition."""
    gen = torch.Generator().manual_seed(1)
    q, k, x = (torch.randn(3, 64, 5, generator=gen, dtype=torch.float64) for _ in range(3))
    g = GATES[gate](x)
    g_cum = g.cumsum(-2)
    diff = (g_cum.unsqueeze(-2) - g_cum.unsqueeze(-3)).clamp_max(0)
    expected = torch.einsum("bik,bjk,bijk->bij", q, k, diff.exp()).tril()
    assert rel_err(intra_chunk_scores(q, k, chunk_decay(g, -2)), expected) < 1e-13


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_recurrent_value_decays_and_reverse(reverse):
    inputs = make_inputs(T=40)
    gen = torch.Generator().manual_seed(3)
    gv = F.logsigmoid(torch.randn(2, 40, 2, 6, generator=gen, dtype=torch.float64))
    g = inputs.pop("g")
    for gk in (g, None):
        o, s = fused_recurrent_gla(**inputs, gk=gk, gv=gv, reverse=reverse, output_final_state=True)
        o_ref, s_ref = naive_recurrent_gla(
            inputs["q"],
            inputs["k"],
            inputs["v"],
            gk,
            inputs["initial_state"],
            True,
            gv=gv,
            reverse=reverse,
        )
        assert rel_err(o, o_ref) < 1e-13 and rel_err(s, s_ref) < 1e-13


@pytest.mark.parametrize(
    "op,reverse", [(op, False) for op in OPS] + [("recurrent", True)], ids=[*OPS, "reverse"]
)
def test_packed_equals_one_sequence_at_a_time(op, reverse):
    cu = [0, 40, 41, 41, 150]  # with an empty sequence: its final state is its initial state
    inputs = make_inputs(B=1, N=len(cu) - 1, gate="strong")
    extra = dict(reverse=True) if reverse else {}
    o, s = OPS[op](**inputs, output_final_state=True, cu_seqlens=torch.tensor(cu), **extra)
    assert s.shape[0] == len(cu) - 1
    for n, (start, end) in enumerate(zip(cu[:-1], cu[1:])):
        one = {name: t[:, start:end] for name, t in inputs.items() if name != "initial_state"}
        o_n, s_n = OPS[op](
            **one,
            initial_state=inputs["initial_state"][n : n + 1],
            output_final_state=True,
            **extra,
        )
        if end > start:
            assert rel_err(o[:, start:end], o_n) < 1e-13
        assert rel_err(s[n : n + 1], s_n) < 1e-13


@pytest.mark.parametrize("op", list(OPS))
def test_continuation_with_state_equals_one_pass(op):
    inputs = make_inputs(T=150)
    o, s = OPS[op](**inputs, output_final_state=True)
    state, pieces = inputs["initial_state"], []
    for start, end in [(0, 70), (70, 71), (71, 150)]:
        part = {n: t[:, start:end] for n, t in inputs.items() if n != "initial_state"}
        o_part, state = OPS[op](**part, initial_state=state, output_final_state=True)
        pieces.append(o_part)
    assert rel_err(torch.cat(pieces, dim=1), o) < 1e-13 and rel_err(state, s) < 1e-13


@pytest.mark.parametrize("gate", list(GATES))
def test_gradcheck_chunk_all_inputs(gate):
    inputs = make_inputs(B=1, T=70, H=1, K=3, V=2, gate=gate)
    leaves = [t.requires_grad_() for t in inputs.values()]

    def fn(q, k, v, g, h0):
        return chunk_gla(q, k, v, g, initial_state=h0, output_final_state=True)

    assert torch.autograd.gradcheck(fn, leaves, fast_mode=True)


@pytest.mark.parametrize("gate", ["mild", "down_to_-20"])
def test_chunk_gradients_match_recurrent(gate):
    inputs = make_inputs(T=130, gate=gate)
    grads = []
    for op in (chunk_gla, recurrent):
        leaves = {n: t.clone().requires_grad_() for n, t in inputs.items()}
        o, s = op(**leaves, output_final_state=True)
        (o.square().sum() + s.sin().sum()).backward()
        assert all(torch.isfinite(t.grad).all() for t in leaves.values())
        grads.append({n: t.grad for n, t in leaves.items()})
    for name in inputs:
        assert rel_err(grads[0][name], grads[1][name]) < 1e-11, name


def test_float32_gradients_near_the_spread_limit():
    """Keys scaled by up to exp(38.4) in float32: gradients still match the float64 loop."""
    inputs = make_inputs(T=200, K=16, V=16, gate="near_the_limit")
    grads = []
    for op, dtype in ((recurrent, torch.float64), (chunk_gla, torch.float32)):
        leaves = {n: t.detach().to(dtype).requires_grad_() for n, t in inputs.items()}
        o, s = op(**leaves, output_final_state=True)
        (o.square().sum() + s.sin().sum()).backward()
        grads.append({n: t.grad for n, t in leaves.items()})
    for name in inputs:
        assert torch.isfinite(grads[1][name]).all(), name
        assert rel_err(grads[1][name], grads[0][name]) < 1e-5, name


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_keeps_float32_state(dtype):
    inputs = make_inputs(T=100)
    for op in OPS.values():
        o, s = op(**{n: t.to(dtype) for n, t in inputs.items()}, output_final_state=True)
        assert o.dtype == dtype and s.dtype == torch.float32


BAD_CALLS = [
    (dict(q=torch.zeros(2, 5, 2)), ValueError, "q must have shape"),
    (dict(k=torch.zeros(2, 5, 3, 4)), ValueError, "k must have shape"),
    (dict(v=torch.zeros(2, 5, 3, 4)), ValueError, "v must have shape"),
    (dict(g=torch.zeros(2, 5, 2)), ValueError, "gk? must have shape"),
    (dict(initial_state=torch.zeros(2, 2, 3, 4)), ValueError, "initial_state must have shape"),
    (dict(q=torch.zeros(2, 5, 2, 4, dtype=torch.long)), TypeError, "q must be a floating-point"),
    (dict(scale="big"), TypeError, "scale must be a real number"),
    (dict(cu_seqlens=torch.tensor([0, 5])), ValueError, "batch size 1"),
]


def valid_call_args():
    return dict(
        q=torch.zeros(2, 5, 2, 4),
        k=torch.zeros(2, 5, 2, 4),
        v=torch.zeros(2, 5, 2, 3),
        g=torch.zeros(2, 5, 2, 4),
    )


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("change,error,message", BAD_CALLS, ids=[m for _, _, m in BAD_CALLS])
def test_bad_input_is_named(op, change, error, message):
    with pytest.raises(error, match=message):
        OPS[op](**{**valid_call_args(), **change})


def test_bad_recurrent_only_arguments():
    args = valid_call_args()
    args["gk"] = args.pop("g")
    with pytest.raises(ValueError, match="gv must have shape"):
        fused_recurrent_gla(**args, gv=torch.zeros(2, 5, 2, 4))
    with pytest.raises(TypeError, match="unexpected keyword arguments: bogus"):
        fused_recurrent_gla(**args, bogus=1)
    with pytest.raises(ValueError, match="head_first"):
        fused_recurrent_gla(**args, head_first=True)
    with pytest.raises(ValueError, match="g must be a"):
        chunk_gla(args["q"], args["k"], args["v"], None)
    with pytest.warns(DeprecationWarning, match="transpose_state_layout"):
        fused_recurrent_gla(**args, transpose_state_layout=True)
