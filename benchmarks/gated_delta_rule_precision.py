"""Error of bfloat16 and float16 runs against float32, for the gated-delta-rule ops and layer.

    python benchmarks/gated_delta_rule_precision.py [--seeds 3]

Half-precision inputs are cast once; the ops compute in float32 and keep the state in float32,
so the error comes from rounding the inputs, the output and the layer's projections.
Reports the largest ``||half - fp32|| / ||fp32||`` over the seeds.
"""

import argparse

import torch

from myfla.layers import GatedDeltaNet
from myfla.models import Cache
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule

HALF = (torch.bfloat16, torch.float16)


def rel_err(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def op_errors(op, seed, B=2, T=512, H=4, HV=8, K=64, V=64):
    gen = torch.Generator().manual_seed(seed)
    q, k = torch.randn(B, T, H, K, generator=gen), torch.randn(B, T, H, K, generator=gen)
    v = torch.randn(B, T, HV, V, generator=gen)
    g, beta = torch.randn(B, T, HV, generator=gen), torch.randn(B, T, HV, generator=gen)
    A_log, dt_bias = torch.rand(HV, generator=gen).log1p(), torch.randn(HV, generator=gen)
    h0 = torch.randn(B, HV, K, V, generator=gen) * 0.1

    def run(dtype):
        cast = [x.to(dtype) for x in (q, k, v, g, beta)]
        return op(
            *cast[:3],
            g=cast[3],
            beta=cast[4],
            initial_state=h0,
            output_final_state=True,
            use_qk_l2norm_in_kernel=True,
            use_beta_sigmoid_in_kernel=True,
            use_gate_in_kernel=True,
            A_log=A_log,
            dt_bias=dt_bias,
        )

    o32, s32 = run(torch.float32)
    return {
        dtype: (rel_err(o, o32), rel_err(s, s32), s.dtype)
        for dtype in HALF
        for o, s in [run(dtype)]
    }


def layer_errors(seed, B=2, T=512):
    torch.manual_seed(seed)
    layer = GatedDeltaNet(hidden_size=256, head_dim=64, num_heads=4, expand_v=1, layer_idx=0)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    x = torch.randn(B, T, 256)

    def run(module, dtype):
        cache = Cache()
        out = module(x.to(dtype), past_key_values=cache, use_cache=True)[0]
        return out, cache[0]["recurrent_state"]

    with torch.no_grad():
        o32, s32 = run(layer.eval(), torch.float32)
        errors = {}
        for dtype in HALF:
            half = GatedDeltaNet(hidden_size=256, head_dim=64, num_heads=4, expand_v=1, layer_idx=0)
            half.load_state_dict(layer.state_dict())
            o, s = run(half.to(dtype).eval(), dtype)
            errors[dtype] = (rel_err(o, o32), rel_err(s, s32), s.dtype)
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "chunk op": lambda s: op_errors(chunk_gated_delta_rule, s),
        "recurrent op": lambda s: op_errors(fused_recurrent_gated_delta_rule, s, T=128),
        "GatedDeltaNet layer": layer_errors,
    }
    print(f"{'case':<22}{'dtype':<10}{'output err':>12}{'state err':>12}  state dtype")
    for name, fn in cases.items():
        worst = {}
        for seed in range(args.seeds):
            for dtype, (o_err, s_err, s_dtype) in fn(seed).items():
                prev = worst.get(dtype, (0.0, 0.0, s_dtype))
                worst[dtype] = (max(prev[0], o_err), max(prev[1], s_err), s_dtype)
        for dtype, (o_err, s_err, s_dtype) in worst.items():
            print(f"{name:<22}{str(dtype)[6:]:<10}{o_err:>12.1e}{s_err:>12.1e}  {str(s_dtype)[6:]}")


if __name__ == "__main__":
    main()
