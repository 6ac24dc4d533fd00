"""Chunked vs token-by-token gated delta rule, measured side by side in one run.

    python benchmarks/gated_delta_rule_speed.py [--batch 4 --seq-len 1024 --heads 4 --dim 64]
                                                [--device cpu|cuda]

Reports tokens/s of ``chunk_gated_delta_rule`` and ``fused_recurrent_gated_delta_rule`` for the
forward pass and for forward+backward, and their ratio. Runs alternate between the two ops and
the median of ``--repeats`` is kept, so that load on a shared machine hits both alike.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule


def make_inputs(batch, seq_len, heads, dim, requires_grad, device):
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(batch, seq_len, heads, dim, generator=gen) for _ in range(3))
    g = F.logsigmoid(torch.randn(batch, seq_len, heads, generator=gen)) / 8
    beta = torch.rand(batch, seq_len, heads, generator=gen)
    h0 = torch.randn(batch, heads, dim, dim, generator=gen) * 0.1
    return [x.to(device).requires_grad_(requires_grad) for x in (q, k, v, g, beta, h0)]


def run_once(op, inputs, backward):
    q, k, v, g, beta, h0 = inputs
    sync = torch.cuda.synchronize if q.is_cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    o, state = op(
        q=q,
        k=k,
        v=v,
        g=g,
        beta=beta,
        initial_state=h0,
        output_final_state=True,
        use_qk_l2norm_in_kernel=True,
    )
    if backward:
        (o.sum() + state.sum()).backward()
    sync()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=1024)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    ops = {"chunk": chunk_gated_delta_rule, "recurrent": fused_recurrent_gated_delta_rule}
    tokens = args.batch * args.seq_len
    where = (
        torch.cuda.get_device_name(args.device)
        if args.device.startswith("cuda")
        else f"{torch.get_num_threads()} CPU threads"
    )
    print(
        f"B={args.batch} T={args.seq_len} H={args.heads} K=V={args.dim} float32, "
        f"torch {torch.__version__}, {where}, median of {args.repeats}"
    )
    print(f"{'pass':<18}{'chunk tok/s':>14}{'recurrent tok/s':>18}{'ratio':>8}")
    for backward in (False, True):
        inputs = make_inputs(args.batch, args.seq_len, args.heads, args.dim, backward, args.device)
        times = {name: [] for name in ops}
        with torch.set_grad_enabled(backward):
            for op in ops.values():
                run_once(op, inputs, backward)  # warm-up
            for _ in range(args.repeats):
                for name, op in ops.items():
                    times[name].append(run_once(op, inputs, backward))
        rate = {name: tokens / statistics.median(t) for name, t in times.items()}
        label = "forward+backward" if backward else "forward"
        print(
            f"{label:<18}{rate['chunk']:>14,.0f}{rate['recurrent']:>18,.0f}"
            f"{rate['chunk'] / rate['recurrent']:>7.1f}x"
        )


if __name__ == "__main__":
    main()
