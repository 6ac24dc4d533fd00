"""The layers and ops under torch.autocast (bfloat16, float16; float32 weights), on the CPU:
fla's dtype policy (outputs in the input's dtype, states and the kernels' arithmetic in float32)
and a training step within the bounds of docs/porting.md of the same step in float32."""

import pytest
import torch

from benchmarks.autocast_compile_check import LAYERS, autocast_errors, make_layer
from myfla.models import Cache
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7

# Relative errors of output, input gradient and parameter gradients; measured on the CPU:
# bfloat16 7.6e-3 to 1.1e-2, float16 9.8e-4 to 1.8e-3 (docs/porting.md).
BOUNDS = {torch.bfloat16: 2e-2, torch.float16: 4e-3}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("dtype", list(BOUNDS))
def test_training_step_under_autocast_matches_float32(name, dtype):
    errors = autocast_errors(name, dtype, "cpu")
    assert max(errors) < BOUNDS[dtype], errors


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("seq_len", [10, 100])  # token loop and chunk op in inference
def test_outputs_in_the_autocast_dtype_and_states_in_float32(name, seq_len):
    layer, cache = make_layer(name, "cpu").eval(), Cache()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        o = layer(torch.randn(2, seq_len, 64), past_key_values=cache, use_cache=True)[0]
    assert o.dtype == torch.bfloat16 and torch.isfinite(o).all()
    assert cache[0]["recurrent_state"].dtype == torch.float32


def bf16(*shape):
    return torch.randn(*shape).bfloat16()


OPS = {
    "chunk_gated_delta_rule": lambda x, d: chunk_gated_delta_rule(
        x, x, x, -d, d, output_final_state=True, use_qk_l2norm_in_kernel=True
    ),
    "fused_recurrent_gated_delta_rule": lambda x, d: fused_recurrent_gated_delta_rule(
        x, x, x, -d, beta=d, output_final_state=True, use_qk_l2norm_in_kernel=True
    ),
    "chunk_gla": lambda x, d: chunk_gla(x, x, x, -x.abs(), output_final_state=True),
    "fused_recurrent_gla": lambda x, d: fused_recurrent_gla(
        x, x, x, -x.abs(), output_final_state=True
    ),
    "chunk_rwkv7": lambda x, d: chunk_rwkv7(x, -x.abs(), x, x, x, x, output_final_state=True),
    "fused_recurrent_rwkv7": lambda x, d: fused_recurrent_rwkv7(
        x, -x.abs(), x, x, x * 0.1, x * 0.1, output_final_state=True
    ),
}


@pytest.mark.parametrize("op", list(OPS))
def test_ops_under_autocast_return_the_input_dtype_and_float32_states(op):
    x, d = bf16(2, 70, 2, 8), torch.rand(2, 70, 2).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        o, state = OPS[op](x, d)
    with torch.autocast("cpu", enabled=False):
        o_plain, state_plain = OPS[op](x, d)
    assert o.dtype == torch.bfloat16 and state.dtype == torch.float32
    assert torch.equal(o, o_plain) and torch.equal(state, state_plain)
