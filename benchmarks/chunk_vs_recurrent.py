"""Chunked vs token-by-token ops, measured side by side in one run.

    python benchmarks/chunk_vs_recurrent.py [--op gated_delta_rule] [--batch 4 --seq-len 1024
                                            --heads 4 --dim 64] [--device cpu|cuda]

For each op family in ``OPS`` (or the one named by ``--op``), each in a fresh process, reports
tokens/s of its chunk and recurrent functions on the same inputs and their ratio, for three
passes in this order: the forward pass, forward+backward (both outputs differentiated), and the
forward pass again ("forward, warm"). Runs alternate between the two functions and the median
of ``--repeats`` is kept, so that load on a shared machine hits both alike. ``best`` is the
ratio of the fastest runs, and ``chunk faults`` the median number of minor page faults of a
chunk run: until a process has freed a large block, glibc's allocator hands freed memory back to
the system after each call, and the chunked ops' large temporaries then cost fresh pages every
time. A backward pass settles it, as in any training process, hence the warm forward
(docs/performance.md).
"""

import argparse
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, NamedTuple

import torch
import torch.nn.functional as F

from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7

try:
    from resource import RUSAGE_SELF, getrusage
except ImportError:  # not on Windows: no page-fault column there
    getrusage = None


class OpFamily(NamedTuple):
    """``make_inputs(B, T, H, D, generator) -> kwargs``; both functions return ``(o, state)``."""

    make_inputs: Callable[..., Dict[str, torch.Tensor]]
    chunk: Callable
    recurrent: Callable


def gated_delta_rule_inputs(batch, seq_len, heads, dim, gen):
    shape = (batch, seq_len, heads)
    return dict(
        q=torch.randn(*shape, dim, generator=gen),
        k=torch.randn(*shape, dim, generator=gen),
        v=torch.randn(*shape, dim, generator=gen),
        g=F.logsigmoid(torch.randn(*shape, generator=gen)) / 8,
        beta=torch.rand(*shape, generator=gen),
        initial_state=torch.randn(batch, heads, dim, dim, generator=gen) * 0.1,
        use_qk_l2norm_in_kernel=True,
    )


def rwkv7_inputs(batch, seq_len, heads, dim, gen):
    """As RWKV7Attention makes them: ``w`` in (-exp(-0.5), 0), ``a = -kk``, ``b = kk * alpha``."""
    shape = (batch, seq_len, heads, dim)
    kk = F.normalize(torch.randn(*shape, generator=gen), dim=-1)
    return dict(
        r=torch.randn(*shape, generator=gen),
        w=-0.6065306597126334 * torch.rand(*shape, generator=gen),
        k=torch.randn(*shape, generator=gen),
        v=torch.randn(*shape, generator=gen),
        a=-kk,
        b=kk * torch.rand(*shape, generator=gen),
        scale=1.0,
        initial_state=torch.randn(batch, heads, dim, dim, generator=gen) * 0.1,
    )


def gla_inputs(batch, seq_len, heads, dim, gen):
    """As GatedLinearAttention makes them: per-key log decays ``logsigmoid(x) / 16``."""
    shape = (batch, seq_len, heads, dim)
    return dict(
        q=torch.randn(*shape, generator=gen),
        k=torch.randn(*shape, generator=gen),
        v=torch.randn(*shape, generator=gen),
        g=F.logsigmoid(torch.randn(*shape, generator=gen)) / 16,
        initial_state=torch.randn(batch, heads, dim, dim, generator=gen) * 0.1,
    )


def fused_recurrent_gla_named_as_chunk(g, **kwargs):
    """``fused_recurrent_gla`` with ``chunk_gla``'s name ``g`` for the per-key decays."""
    return fused_recurrent_gla(gk=g, **kwargs)


OPS = {
    "gated_delta_rule": OpFamily(
        gated_delta_rule_inputs, chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
    ),
    "rwkv7": OpFamily(rwkv7_inputs, chunk_rwkv7, fused_recurrent_rwkv7),
    "gla": OpFamily(gla_inputs, chunk_gla, fused_recurrent_gla_named_as_chunk),
}


def minor_page_faults() -> int:
    """Page faults of this process so far that needed no disk (fresh memory), or 0."""
    return getrusage(RUSAGE_SELF).ru_minflt if getrusage else 0


def run_once(fn, inputs, backward, device):
    """Seconds and minor page faults of one call (and its backward)."""
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    faults = minor_page_faults()
    start = time.perf_counter()
    o, state = fn(**inputs, output_final_state=True)
    if backward:
        (o.sum() + state.sum()).backward()
    sync()
    return time.perf_counter() - start, minor_page_faults() - faults


PASSES = (("forward", False), ("forward+backward", True), ("forward, warm", False))


def measure(family: OpFamily, args) -> None:
    tokens = args.batch * args.seq_len
    for label, backward in PASSES:
        gen = torch.Generator().manual_seed(0)
        inputs = family.make_inputs(args.batch, args.seq_len, args.heads, args.dim, gen)
        inputs = {
            name: x.to(args.device).requires_grad_(backward) if torch.is_tensor(x) else x
            for name, x in inputs.items()
        }
        fns = {"chunk": family.chunk, "recurrent": family.recurrent}
        times = {name: [] for name in fns}
        faults = []  # the chunk op's
        with torch.set_grad_enabled(backward):
            for fn in fns.values():
                run_once(fn, inputs, backward, args.device)  # warm-up
            for _ in range(args.repeats):
                for name, fn in fns.items():
                    seconds, run_faults = run_once(fn, inputs, backward, args.device)
                    times[name].append(seconds)
                    if name == "chunk":
                        faults.append(run_faults)
        rate = {name: tokens / statistics.median(t) for name, t in times.items()}
        best = min(times["recurrent"]) / min(times["chunk"])
        print(
            f"  {label:<18}{rate['chunk']:>14,.0f}{rate['recurrent']:>18,.0f}"
            f"{rate['chunk'] / rate['recurrent']:>7.1f}x{best:>9.1f}x"
            f"{statistics.median(faults):>15,.0f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", choices=sorted(OPS), help="one op family (default: all)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=1024)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.no_header:
        where = (
            torch.cuda.get_device_name(args.device)
            if args.device.startswith("cuda")
            else f"{torch.get_num_threads()} CPU threads"
        )
        print(
            f"B={args.batch} T={args.seq_len} H={args.heads} K=V={args.dim} float32, "
            f"torch {torch.__version__}, {where}, median of {args.repeats}"
        )
        print(
            f"  {'pass':<18}{'chunk tok/s':>14}{'recurrent tok/s':>18}{'ratio':>8}{'best':>10}"
            f"{'chunk faults':>15}",
            flush=True,
        )
    if args.op:
        print(args.op)
        measure(OPS[args.op], args)
        return
    for name in sorted(OPS):  # each in a fresh process: the allocator's history is its own
        options = [
            f"--{option}={getattr(args, option.replace('-', '_'))}"
            for option in ("batch", "seq-len", "heads", "dim", "repeats", "device")
        ]
        subprocess.run(
            [sys.executable, __file__, "--op", name, "--no-header", *options], check=True
        )


if __name__ == "__main__":
    main()
