"""Every speed goal of docs/performance.md as a ratio against its peer, measured in one process.

    PYTHONPATH=. python benchmarks/peers.py [--device cuda] [--repeats 7] [--skip-encoders]

CPU, float32, B=4 T=1024 H=4 K=V=64, the final state returned and the initial one given:
``chunk_gated_delta_rule`` against transformers' ``torch_chunk_gated_delta_rule`` (Qwen3-Next's
CPU fallback; the row is left out when transformers is not installed), ``chunk_gla`` and
``chunk_rwkv7`` against the token loops (fla's naive references are token loops too), forward
and forward+backward, each forward's share of this machine's sgemm peak (measured here, FLOPs
counted from the chunked algorithm), then training steps/s of ``FLAFinancialModel`` at the SetE
shape (B=512, T=5, F=734) for each encoder.

GPU (``--device cuda``), bfloat16, B=4 T=4096 H=8, K=V=128 (RWKV7 64): ours in eager mode and
with ``torch.compile``, fla's Triton kernels (when ``fla`` imports), transformers' fallback (GDN).

Runs alternate between the contestants of a row and each keeps the median of ``--repeats``, so
that load on a shared machine hits all alike; ``best`` ratios come from each one's fastest run.
"""

import argparse
import statistics
import time
from typing import Callable, Dict, List, NamedTuple, Optional

import torch

from benchmarks.chunk_vs_recurrent import gated_delta_rule_inputs, gla_inputs, rwkv7_inputs
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7

RWKV7_DECAY_BOUND = -0.6065306597126334  # the layer's lower_bound of w


class Times(NamedTuple):
    median: float
    best: float


def race(
    contestants: Dict[str, Callable[[], None]], repeats: int, sync: Callable
) -> Dict[str, Times]:
    """Seconds per call of each contestant: one warm-up each, then ``repeats`` rounds in turn."""

    def once(fn):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - start

    for fn in contestants.values():
        once(fn)
    runs: Dict[str, List[float]] = {name: [] for name in contestants}
    for _ in range(repeats):
        for name, fn in contestants.items():
            runs[name].append(once(fn))
    return {name: Times(statistics.median(t), min(t)) for name, t in runs.items()}


def header(*columns: str) -> None:
    """A Markdown table's header, after a blank line."""
    print("\n| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))


def sgemm_peak(device: str, sync: Callable, repeats: int = 5) -> float:
    """The best GFLOP/s of a 2048 x 2048 float32 product."""
    a, b = (torch.randn(2048, 2048, device=device) for _ in range(2))
    seconds = race({"sgemm": lambda: a @ b}, repeats, sync)["sgemm"].best
    return 2 * 2048**3 / seconds / 1e9


def flops_per_token_head(op: str, chunk: int, key: int, value: int) -> int:
    """Matrix-product FLOPs per token and head of the chunked forward."""
    c, k, v = chunk, key, value
    return {
        # K K^T, Q K^T, (I + A)^-1 [beta V, beta K], W S and E^T u, Q S, A u
        "chunk_gated_delta_rule": 2 * c * k * 2
        + 2 * c * (k + v)
        + 4 * k * v
        + 2 * k * v
        + 2 * c * v,
        # Q K^T, A V, Q S, K^T V
        "chunk_gla": 2 * c * k + 2 * c * v + 4 * k * v,
        # four score matrices, (I - A)^-1 [A V, a], A V, three state products, Q S, two A u
        "chunk_rwkv7": 8 * c * k + 2 * c * (v + k) + 2 * c * v + 6 * k * v + 2 * k * v + 4 * c * v,
    }[op]


def transformers_gated_delta_rule() -> Optional[Callable]:
    """transformers' ``torch_chunk_gated_delta_rule`` with myfla's argument names, if installed."""
    try:
        from transformers.models.qwen3_next import modeling_qwen3_next
    except ImportError:
        return None
    peer = modeling_qwen3_next.torch_chunk_gated_delta_rule

    def call(q, k, v, g, beta, initial_state, output_final_state, use_qk_l2norm_in_kernel):
        return peer(
            q, k, v, g=g, beta=beta, initial_state=initial_state,
            output_final_state=output_final_state, use_qk_l2norm_in_kernel=use_qk_l2norm_in_kernel,
        )  # fmt: skip

    return call


def op_call(fn: Callable, inputs: Dict, backward: bool) -> Callable[[], None]:
    def call():
        o, state = fn(**inputs, output_final_state=True)
        if backward:
            (o.float().sum() + state.sum()).backward()

    return call


def with_grads(inputs: Dict, backward: bool, device: str, dtype=None) -> Dict:
    out = {}
    for name, x in inputs.items():
        if torch.is_tensor(x):
            x = x.to(device=device, dtype=dtype if dtype and name != "initial_state" else x.dtype)
            x.requires_grad_(backward)
        out[name] = x
    return out


def cpu_op_rows(args, sync, peak: float) -> None:
    batch, seq_len, heads, dim = 4, 1024, 4, 64
    gen = torch.Generator().manual_seed(0)
    families = {
        "chunk_gated_delta_rule": (
            gated_delta_rule_inputs(batch, seq_len, heads, dim, gen), chunk_gated_delta_rule,
            "transformers torch_chunk_gated_delta_rule", transformers_gated_delta_rule(),
        ),
        "chunk_gla": (
            gla_inputs(batch, seq_len, heads, dim, gen), chunk_gla,
            "token loop (fused_recurrent_gla)", lambda g, **x: fused_recurrent_gla(gk=g, **x),
        ),
        "chunk_rwkv7": (
            rwkv7_inputs(batch, seq_len, heads, dim, gen),
            lambda **x: chunk_rwkv7(**x, lower_bound=RWKV7_DECAY_BOUND),
            "token loop (fused_recurrent_rwkv7)", fused_recurrent_rwkv7,
        ),
    }  # fmt: skip
    print(f"\nsgemm peak: {peak:.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    header("op", "pass", "ours tok/s", "peer", "peer tok/s", "ratio (median)", "ratio (best)",
           "% of sgemm peak")  # fmt: skip
    tokens = batch * seq_len
    for op, (inputs, ours, peer_name, peer) in families.items():
        flops = flops_per_token_head(op, 64, dim, dim) * tokens * heads
        for label, backward in (("forward", False), ("forward+backward", True)):
            x = with_grads(inputs, backward, "cpu")
            contestants = {"ours": op_call(ours, x, backward)}
            if peer is not None:
                contestants["peer"] = op_call(peer, x, backward)
            with torch.set_grad_enabled(backward):
                times = race(contestants, args.repeats, sync)
            ours_rate = tokens / times["ours"].median
            share = f"{100 * flops / times['ours'].best / 1e9 / peak:.0f}%" if not backward else ""
            if peer is None:
                missing = f"{peer_name}: not installed"
                print(f"| {op} | {label} | {ours_rate:,.0f} | {missing} | | | | {share} |")
                continue
            ratio = times["peer"].median / times["ours"].median
            best = times["peer"].best / times["ours"].best
            print(
                f"| {op} | {label} | {ours_rate:,.0f} | {peer_name} | "
                f"{tokens / times['peer'].median:,.0f} | {ratio:.2f}x | {best:.2f}x | {share} |",
                flush=True,
            )


def encoder_rows(args, sync) -> None:
    from benchmarks.encoders_train_speed import model_for

    batch, seq_len, features, targets = 512, 5, 734, 6
    encoders = ["gru", "transformer", "gla", "rwkv7", "gated_deltanet", "dual"]
    x = torch.randn(batch, seq_len, features)
    y = torch.randn(batch, targets)
    steps = {}
    for name in encoders:
        torch.manual_seed(0)
        model = model_for(name, features, targets).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(model=model, optimizer=optimizer):
            loss = (model(x)[0] - y).square().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        steps[name] = step
    times = race(steps, args.repeats, sync)
    print(
        "\n| encoder (SetE training step) | steps/s (median) | steps/s (best) | vs gru (median) |"
    )
    print("| --- | --- | --- | --- |")
    for name in encoders:
        ratio = times["gru"].median / times[name].median
        print(
            f"| {name} | {1 / times[name].median:.2f} | {1 / times[name].best:.2f} | {ratio:.2f} |"
        )


def fla_ops() -> Dict[str, Callable]:
    """fla's Triton chunk ops, if fla imports here."""
    try:
        from fla.ops.gated_delta_rule import chunk_gated_delta_rule as fla_gdn
        from fla.ops.gla import chunk_gla as fla_gla
        from fla.ops.rwkv7 import chunk_rwkv7 as fla_rwkv7
    except Exception:  # noqa: BLE001 - any failure to import fla (no Triton, no GPU) means none
        return {}
    return {
        "chunk_gated_delta_rule": fla_gdn,
        "chunk_gla": fla_gla,
        "chunk_rwkv7": lambda **x: fla_rwkv7(**x, lower_bound=RWKV7_DECAY_BOUND),
    }


def gpu_rows(args, sync) -> None:
    batch, seq_len, heads = 4, 4096, 8
    gen = torch.Generator().manual_seed(0)
    ours = {
        "chunk_gated_delta_rule": (
            gated_delta_rule_inputs(batch, seq_len, heads, 128, gen),
            chunk_gated_delta_rule,
        ),
        "chunk_gla": (gla_inputs(batch, seq_len, heads, 128, gen), chunk_gla),
        "chunk_rwkv7": (
            rwkv7_inputs(batch, seq_len, heads, 64, gen),
            lambda **x: chunk_rwkv7(**x, lower_bound=RWKV7_DECAY_BOUND),
        ),
    }
    fla = fla_ops()
    print(f"\nfla: {'imported' if fla else 'not available'}")
    header("op", "pass", "ours eager ms", "ours compiled ms", "fla ms", "transformers ms",
           "best ours / fla", "transformers / best ours")  # fmt: skip
    for op, (inputs, fn) in ours.items():
        compiled = torch.compile(fn)
        for label, backward in (("forward", False), ("forward+backward", True)):
            x = with_grads(inputs, backward, args.device, torch.bfloat16)
            contestants = {
                "eager": op_call(fn, x, backward),
                "compiled": op_call(compiled, x, backward),
            }
            if op in fla:
                contestants["fla"] = op_call(fla[op], x, backward)
            peer = transformers_gated_delta_rule() if op == "chunk_gated_delta_rule" else None
            if peer is not None:
                contestants["transformers"] = op_call(peer, x, backward)
            with torch.set_grad_enabled(backward):
                try:
                    times = race(contestants, args.repeats, sync)
                except Exception as error:  # noqa: BLE001 - fla refuses some backwards on Hopper
                    print(f"| {op} | {label} | failed: {type(error).__name__}: {str(error)[:80]} |")
                    continue
            ms = {name: 1e3 * t.median for name, t in times.items()}
            mine = min(ms["eager"], ms["compiled"])
            cells = [
                f"{ms[n]:.2f}" if n in ms else "-"
                for n in ("eager", "compiled", "fla", "transformers")
            ]
            vs_fla = f"{mine / ms['fla']:.2f}x" if "fla" in ms else "-"
            vs_hf = f"{ms['transformers'] / mine:.2f}x" if "transformers" in ms else "-"
            print(
                f"| {op} | {label} | " + " | ".join(cells) + f" | {vs_fla} | {vs_hf} |", flush=True
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-encoders", action="store_true")
    args = parser.parse_args()
    cuda = args.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    where = (
        torch.cuda.get_device_name(args.device)
        if cuda
        else f"{torch.get_num_threads()} CPU threads"
    )
    print(f"torch {torch.__version__}, {where}, median of {args.repeats} alternating runs")
    if cuda:
        gpu_rows(args, sync)
        return
    cpu_op_rows(args, sync, sgemm_peak("cpu", sync))
    if not args.skip_encoders:
        encoder_rows(args, sync)


if __name__ == "__main__":
    main()
