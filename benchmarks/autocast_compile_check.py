"""The myfla layers under autocast and torch.compile, against float32 eager runs.

    PYTHONPATH=. python benchmarks/autocast_compile_check.py [--device cuda] [--skip-compile]

Autocast: a training step (forward and backward) of each layer under ``torch.autocast`` in
bfloat16 and float16 (float32 weights), against the same step in float32; prints the relative
error of the output, of the input's gradient and of all parameter gradients together. Compile:
each layer under ``torch.compile(fullgraph=True)`` for training (forward and backward) and
inference, against eager; prints the compile time of the first call, the error, and whether
other sequence lengths (dynamic shapes, one chunk bucket) compiled again.
``tests/myfla/test_autocast.py`` and ``test_compile.py`` assert the same on the CPU.
"""

import argparse
import time
from typing import Callable, Dict, List, Tuple

import torch

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention

HIDDEN = 64
LAYERS: Dict[str, Callable[[], torch.nn.Module]] = {
    "GatedDeltaNet": lambda: GatedDeltaNet(
        hidden_size=HIDDEN, num_heads=2, head_dim=32, allow_neg_eigval=True, layer_idx=0
    ),
    "GatedLinearAttention": lambda: GatedLinearAttention(
        hidden_size=HIDDEN, num_heads=2, use_short_conv=True, layer_idx=0
    ),
    "RWKV7Attention": lambda: RWKV7Attention(
        hidden_size=HIDDEN, head_dim=32, layer_idx=0, num_hidden_layers=1
    ),
}


def rel_err(x: torch.Tensor, ref: torch.Tensor) -> float:
    """``||x - ref|| / ||ref||`` in float64 (Frobenius)."""
    x, ref = x.double(), ref.double()
    return float((x - ref).norm() / ref.norm().clamp_min(1e-300))


def make_layer(name: str, device: str, seed: int = 0) -> torch.nn.Module:
    """The layer with every parameter moved off its initial value, in training mode."""
    torch.manual_seed(seed)
    layer = LAYERS[name]().to(device)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return layer.train()


def training_step(layer, x, autocast=None) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Output, input gradient and all parameter gradients (flattened) of ``sum(o * w)``; the
    forward under autocast to ``autocast`` if given, the backward outside, as recommended."""
    x = x.detach().requires_grad_()
    layer.zero_grad()
    device = x.device.type
    with torch.autocast(device, dtype=autocast or torch.float32, enabled=autocast is not None):
        o = layer(x)[0]
    weights = torch.linspace(-1, 1, o.numel(), device=o.device).view(o.shape)
    (o.float() * weights).sum().backward()
    grads = torch.cat([p.grad.flatten() for p in layer.parameters() if p.grad is not None])
    return o.detach().float(), x.grad.float(), grads.float()


def autocast_errors(name: str, dtype: torch.dtype, device: str, seq_len: int = 100) -> List[float]:
    """Relative errors (output, input gradient, parameter gradients) of an autocast training
    step against float32, on ``[2, seq_len, HIDDEN]`` inputs (the chunk path)."""
    layer = make_layer(name, device)
    x = torch.randn(2, seq_len, HIDDEN, device=device)
    reference = training_step(layer, x)
    mixed = training_step(layer, x, autocast=dtype)
    return [rel_err(m, r) for m, r in zip(mixed, reference)]


def compile_errors(
    name: str, device: str, training: bool, lengths=(100, 90, 120), backend: str = "inductor"
) -> dict:
    """Compile ``name`` with ``fullgraph=True`` and ``dynamic=True``; run it on ``lengths``
    (one chunk bucket of 64 beyond the first: 100, 90, 120) against eager.

    Returns the first call's seconds, the worst relative error of outputs (and gradients when
    ``training``), and how many times dynamo compiled a frame (1: no recompilation).
    """
    import torch._dynamo

    torch._dynamo.reset()
    layer = make_layer(name, device).train(training)
    compiled = torch.compile(layer, fullgraph=True, dynamic=True, backend=backend)
    worst, seconds = 0.0, None
    counters = torch._dynamo.utils.counters
    counters.clear()
    for seq_len in lengths:
        x = torch.randn(2, seq_len, HIDDEN, device=device)
        with torch.set_grad_enabled(training):
            start = time.perf_counter()
            got = training_step(compiled, x) if training else (compiled(x)[0],)
            seconds = time.perf_counter() - start if seconds is None else seconds
            want = training_step(layer, x) if training else (layer(x)[0],)
        worst = max([worst] + [rel_err(g, w) for g, w in zip(got, want)])
    return dict(seconds=seconds, error=worst, compiles=counters["stats"]["unique_graphs"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-compile", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, device {args.device}")
    print("\n| layer | autocast dtype | output error | input grad error | param grad error |")
    print("| --- | --- | --- | --- | --- |")
    for name in LAYERS:
        for dtype in (torch.bfloat16, torch.float16):
            errors = autocast_errors(name, dtype, args.device)
            cells = " | ".join(f"{e:.1e}" for e in errors)
            print(f"| {name} | {str(dtype)[6:]} | {cells} |", flush=True)
    if args.skip_compile:
        return
    print("\n| layer | pass | first call (s) | error vs eager | graphs compiled |")
    print("| --- | --- | --- | --- | --- |")
    for name in LAYERS:
        for training in (True, False):
            r = compile_errors(name, args.device, training)
            label = "training" if training else "inference"
            print(
                f"| {name} | {label} | {r['seconds']:.1f} | {r['error']:.1e} | {r['compiles']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
