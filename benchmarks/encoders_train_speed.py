"""Training steps per second of FLAFinancialModel with each built-in encoder.

    python benchmarks/encoders_train_speed.py [--encoders gru gated_deltanet ...]
                                              [--steps 3] [--threads 2] [--device cpu]

Two shapes: SetE (B=512, T=5, F=734, 6 targets) and a long window (B=64, T=180, F=20, 10 targets).
Each encoder runs its experiment configuration (fla_encoders/configs; ``gla`` takes level 2's
model with its own encoder defaults): one step of Adam on an MSE loss, forward and backward,
timed over ``--steps`` steps after one warm-up step; the median step time is reported.
Prints a Markdown table (docs/encoders.md keeps the measured one).
"""

import argparse
import statistics
import time

import torch

from fla_encoders.experiments import build_model, load_config

SHAPES = {"SetE": (512, 5, 734, 6), "long window": (64, 180, 20, 10)}
CONFIGS = {
    "gru": "baseline_gru",
    "transformer": "baseline_transformer",
    "rwkv7": "level1_rwkv7",
    "gated_deltanet": "level2_gated_deltanet",
    "dual": "level3_dual",
}


def model_for(encoder: str, n_features: int, num_targets: int) -> torch.nn.Module:
    """The encoder's experiment model; an encoder without a configuration uses level 2's."""
    config = load_config(CONFIGS.get(encoder, "level2_gated_deltanet"))
    if encoder not in CONFIGS:
        config["model"].update(encoder_name=encoder, encoder_kwargs={})
    return build_model(config, n_features, num_targets)


def step_seconds(encoder: str, shape, steps: int, device: str) -> float:
    batch, seq_len, n_features, num_targets = shape
    torch.manual_seed(0)
    model = model_for(encoder, n_features, num_targets).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, seq_len, n_features, device=device)
    y = torch.randn(batch, num_targets, device=device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    times = []
    for _ in range(steps + 1):
        sync()
        start = time.perf_counter()
        loss = (model(x)[0] - y).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=[*CONFIGS, "gla"])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, device {args.device}, {args.threads} threads, "
        f"median of {args.steps} steps after 1 warm-up\n"
    )
    print("| encoder | " + " | ".join(f"{s} steps/s (samples/s)" for s in SHAPES) + " |")
    print("| --- |" + " --- |" * len(SHAPES))
    for encoder in args.encoders:
        cells = []
        for shape in SHAPES.values():
            seconds = step_seconds(encoder, shape, args.steps, args.device)
            cells.append(f"{1 / seconds:.2f} ({shape[0] / seconds:.0f})")
        print(f"| {encoder} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
