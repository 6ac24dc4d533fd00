"""Properties of the ops and layers over random shapes, packed offsets, decays, masks and NaN or
Inf values (hypothesis): no error but the documented ones, chunk == token loop, non-finite values
reach no earlier step, padding is inert. Each property runs a few examples in the default suite;
its ``_thorough`` twin runs many more, on longer inputs, under ``-m slow``."""

from typing import Callable, Dict, List, NamedTuple, Optional

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7
from tests.golden import rel_err

FAST, THOROUGH = 30, 1000
DOCUMENTED_ERRORS = (ValueError, TypeError, NotImplementedError)


class Family(NamedTuple):
    """``make(shape, gen, decays) -> inputs`` in fla's layout; ``chunk(**inputs, **kw)`` and
    ``recurrent`` return ``(o, final_state)``; ``per_key``: decays per key or per head."""

    make: Callable[..., Dict[str, torch.Tensor]]
    chunk: Callable
    recurrent: Callable
    decay_name: str
    per_key: bool


def log_decays(x: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
    """Log decays of ``kind``: mild (as the layers make them), steep, or mild with full resets."""
    if kind == "steep":
        return -6 * torch.sigmoid(3 * x)
    g = F.logsigmoid(x) / 8
    if kind == "resets":
        g = g.masked_fill(torch.rand(x.shape, generator=gen, dtype=x.dtype) < 0.05, float("-inf"))
    return g


def gated_delta_rule_inputs(shape, gen, decays):
    (B, T, H, K, V), rand = shape, lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    return dict(
        q=rand(B, T, H, K), k=rand(B, T, H, K), v=rand(B, T, H, V),
        g=log_decays(rand(B, T, H), decays, gen), beta=torch.sigmoid(rand(B, T, H)),
    )  # fmt: skip


def gla_inputs(shape, gen, decays):
    (B, T, H, K, V), rand = shape, lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    return dict(
        q=rand(B, T, H, K), k=rand(B, T, H, K), v=rand(B, T, H, V),
        g=log_decays(rand(B, T, H, K), decays, gen),
    )


def rwkv7_inputs(shape, gen, decays):
    (B, T, H, K, V), rand = shape, lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    kk = F.normalize(rand(B, T, H, K), dim=-1)
    return dict(
        r=rand(B, T, H, K), w=log_decays(rand(B, T, H, K), decays, gen), k=rand(B, T, H, K),
        v=rand(B, T, H, V), a=-kk, b=kk * torch.sigmoid(rand(B, T, H, K)),
    )  # fmt: skip


FAMILIES = {
    "gated_delta_rule": Family(
        gated_delta_rule_inputs,
        lambda **x: chunk_gated_delta_rule(**x, use_qk_l2norm_in_kernel=True),
        lambda **x: fused_recurrent_gated_delta_rule(**x, use_qk_l2norm_in_kernel=True),
        "g", False,
    ),
    "gla": Family(  # fla's chunk_gla has no chunk_size: always 64
        gla_inputs, lambda chunk_size, **x: chunk_gla(**x),
        lambda g, **x: fused_recurrent_gla(gk=g, **x), "g", True,
    ),
    "rwkv7": Family(
        rwkv7_inputs, chunk_rwkv7, lambda **x: fused_recurrent_rwkv7(scale=1.0, **x), "w", True,
    ),
}  # fmt: skip


class OpCase(NamedTuple):
    family: str
    shape: tuple  # (B, T, H, K, V)
    lengths: Optional[List[int]]  # packed sequences (B = 1), or None
    chunk_size: int
    decays: str
    seed: int

    def inputs(self) -> Dict[str, torch.Tensor]:
        gen = torch.Generator().manual_seed(self.seed)
        inputs = FAMILIES[self.family].make(self.shape, gen, self.decays)
        B, _, H, K, V = self.shape
        N = B if self.lengths is None else len(self.lengths)
        inputs["initial_state"] = torch.randn(N, H, K, V, generator=gen, dtype=torch.float64)
        return inputs

    def options(self) -> dict:
        options = dict(output_final_state=True)
        if self.lengths is not None:
            offsets = torch.tensor([0] + self.lengths).cumsum(0)
            options["cu_seqlens"] = offsets
        return options

    def chunk(self, inputs):
        return FAMILIES[self.family].chunk(**inputs, **self.options(), chunk_size=self.chunk_size)

    def recurrent(self, inputs):
        return FAMILIES[self.family].recurrent(**inputs, **self.options())


def sizes(max_value):
    return st.integers(1, max_value)


@st.composite
def op_cases(draw, max_len=100):
    family = draw(st.sampled_from(list(FAMILIES)))
    H, K, V = draw(sizes(3)), draw(sizes(8)), draw(sizes(8))
    lengths = None
    if draw(st.booleans()):
        lengths = draw(st.lists(st.integers(0, max_len // 2), min_size=1, max_size=4))
        B, T = 1, sum(lengths)
    else:
        B, T = draw(st.integers(0, 3)), draw(st.integers(0, max_len))
    return OpCase(
        family, (B, T, H, K, V), lengths, draw(st.sampled_from([16, 32, 64])),
        draw(st.sampled_from(["mild", "steep", "resets"])), draw(st.integers(0, 2**31 - 1)),
    )  # fmt: skip


def fast_and_thorough(**strategies):
    """The property as two tests: ``FAST`` examples, and ``THOROUGH`` ones under ``-m slow``."""

    def drawn(long: bool) -> dict:
        return {n: s(max_len=300) if long and n == "case" else s() for n, s in strategies.items()}

    def tests(prop):
        fast = settings(max_examples=FAST, deadline=None)(given(**drawn(False))(prop))
        slow = settings(max_examples=THOROUGH, deadline=None)(given(**drawn(True))(prop))
        return fast, pytest.mark.slow(slow)

    return tests


def chunk_equals_recurrent(case):
    inputs = case.inputs()
    o, state = case.chunk(inputs)
    o_ref, state_ref = case.recurrent(inputs)
    assert torch.isfinite(o).all() and torch.isfinite(state).all()
    assert rel_err(o, o_ref) < 1e-9 and rel_err(state, state_ref) < 1e-9


test_chunk_equals_recurrent, test_chunk_equals_recurrent_thorough = fast_and_thorough(
    case=op_cases
)(chunk_equals_recurrent)


def later_steps(case: OpCase, b: int, t: int) -> torch.Tensor:
    """``[B, T]`` booleans: the steps of row ``b`` (or of the packed sequence holding ``t``) from
    ``t`` on, those a value at ``(b, t)`` may reach."""
    B, T = case.shape[:2]
    reach = torch.zeros(B, T, dtype=torch.bool)
    ends = [T] if case.lengths is None else torch.tensor(case.lengths).cumsum(0).tolist()
    reach[b, t : min(end for end in ends if end > t)] = True
    return reach


def nonfinite_values_are_causal(case, where, value):
    B, T, H = case.shape[:3]
    if B * T == 0:
        return
    inputs = case.inputs()
    name = where.draw(st.sampled_from([n for n in inputs if n != "initial_state"]))
    b, t, h = (where.draw(st.integers(0, n - 1)) for n in (B, T, H))
    dirty = dict(inputs)
    dirty[name] = inputs[name].clone()
    if name == FAMILIES[case.family].decay_name and value == "-inf":
        value = "nan"  # -inf is a reset there: test_chunk_equals_recurrent's business
    dirty[name][b, t, h] = float(value)
    o_clean, _ = case.chunk(inputs)
    o, _ = case.chunk(dirty)
    reach = later_steps(case, b, t)
    if name in ("q", "r"):
        reach = torch.zeros_like(reach)
        reach[b, t] = True
    untouched = ~reach[..., None, None] | (torch.arange(H) != h)[:, None]  # [B, T, H, 1]
    kept = untouched.expand_as(o)
    torch.testing.assert_close(o[kept], o_clean[kept], rtol=1e-10, atol=1e-10)
    assert not torch.isfinite(o[b, t, h]).all()


test_nonfinite_values_are_causal, test_nonfinite_values_are_causal_thorough = fast_and_thorough(
    case=op_cases, where=st.data, value=lambda: st.sampled_from(["nan", "inf", "-inf"])
)(nonfinite_values_are_causal)


def wrong_shapes_raise_documented_errors(case, where):
    inputs = case.inputs()
    name = where.draw(st.sampled_from(list(inputs)))
    shape = list(inputs[name].shape)
    dim = where.draw(st.integers(0, len(shape)))
    shape = shape[:dim] + [where.draw(st.integers(0, 3))] + shape[dim + 1 :]
    inputs[name] = torch.randn(*shape, dtype=torch.float64)
    try:
        case.chunk(inputs)
        case.recurrent(inputs)
    except DOCUMENTED_ERRORS:
        pass


test_wrong_shapes_raise_documented_errors, test_wrong_shapes_raise_documented_errors_thorough = (
    fast_and_thorough(case=op_cases, where=st.data)(wrong_shapes_raise_documented_errors)
)


LAYERS = {
    "GatedDeltaNet": lambda: GatedDeltaNet(hidden_size=16, num_heads=2, head_dim=8, layer_idx=0),
    "GatedLinearAttention": lambda: GatedLinearAttention(
        hidden_size=16, num_heads=2, use_short_conv=True, layer_idx=0
    ),
    "RWKV7Attention": lambda: RWKV7Attention(
        hidden_size=16, head_dim=8, layer_idx=0, num_hidden_layers=1
    ),
}


@st.composite
def layer_cases(draw, max_len=80):
    T = draw(st.integers(1, max_len))
    pads = draw(st.lists(st.integers(0, T), min_size=1, max_size=3))
    return (
        draw(st.sampled_from(list(LAYERS))), T, pads, draw(st.booleans()),
        draw(st.sampled_from([float("nan"), float("inf"), -1e30])), draw(st.integers(0, 2**31 - 1)),
    )  # fmt: skip


def padding_is_inert(case):
    name, T, pads, training, junk, seed = case
    torch.manual_seed(seed)
    layer = LAYERS[name]().double().train(training)
    x = torch.randn(len(pads), T, 16, dtype=torch.float64)
    mask = (torch.arange(T) >= torch.tensor(pads)[:, None]).long()
    with torch.set_grad_enabled(training):
        clean = layer(x.masked_fill(mask[..., None] == 0, 0.0), attention_mask=mask)[0]
        dirty = layer(x.masked_fill(mask[..., None] == 0, junk), attention_mask=mask)[0]
        for row, pad in enumerate(pads):
            if pad < T:
                alone = layer(x[row : row + 1, pad:])[0]
                torch.testing.assert_close(dirty[row, pad:], alone[0], rtol=1e-9, atol=1e-9)
    tokens = mask.bool()
    assert torch.equal(dirty[tokens], clean[tokens])


test_padding_is_inert, test_padding_is_inert_thorough = fast_and_thorough(case=layer_cases)(
    padding_is_inert
)


def masks_other_than_left_padding_are_refused(case, where):
    name, T, pads = case[:3]
    mask = where.draw(st.lists(st.lists(st.integers(0, 1), min_size=T, max_size=T),
                               min_size=len(pads), max_size=len(pads)))  # fmt: skip
    mask = torch.tensor(mask)
    left_padded = bool((mask[:, 1:] >= mask[:, :-1]).all())
    layer = LAYERS[name]()
    if left_padded:
        layer(torch.randn(len(pads), T, 16), attention_mask=mask)
    else:
        with pytest.raises(ValueError, match="attention_mask"):
            layer(torch.randn(len(pads), T, 16), attention_mask=mask)


(
    test_masks_other_than_left_padding_are_refused,
    test_masks_other_than_left_padding_are_refused_thorough,
) = fast_and_thorough(case=layer_cases, where=st.data)(masks_other_than_left_padding_are_refused)
