"""PNG plots of a comparison, when matplotlib is installed (extra ``fla-encoders[plots]``):
cumulative test IC per encoder (and the oracle), the gains over the baseline with their
intervals, promised gains and MDEs (a forest plot), the learning curves, and the gated fusion's
weight over dates."""

import math
from pathlib import Path
from typing import Any, Dict, List, Sequence


def mean_series(series: Sequence[Sequence[float]]) -> List[float]:
    """Element-wise mean of equally long series over their finite entries (NaN if none)."""
    out = []
    for values in zip(*series):
        kept = [v for v in values if v is not None and math.isfinite(v)]
        out.append(sum(kept) / len(kept) if kept else math.nan)
    return out


def cumulative(values: Sequence[float]) -> List[float]:
    """Running sum, a NaN entry counting as 0."""
    total, out = 0.0, []
    for value in values:
        total += value if math.isfinite(value) else 0.0
        out.append(total)
    return out


def write_plots(summary: Dict[str, Any], out_dir: Path, prefix: str = "") -> List[Path]:
    """``<prefix>cumulative-ic.png``, ``<prefix>gains.png`` and, when an encoder reports it,
    ``<prefix>gate-value.png`` in ``out_dir``; none without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return []
    written = []
    drawings = (
        ("cumulative-ic", cumulative_ic),
        ("gains", gains),
        ("learning-curves", learning_curves),
        ("gate-value", gate),
    )
    for name, draw in drawings:
        figure = draw(summary, pyplot)
        if figure is not None:
            path = out_dir / f"{prefix}{name}.png"
            figure.savefig(path, dpi=100, bbox_inches="tight")
            pyplot.close(figure)
            written.append(path)
    return written


def cumulative_ic(summary: Dict[str, Any], pyplot: Any) -> Any:
    figure, axes = pyplot.subplots(figsize=(9, 5))
    if summary.get("oracle"):
        oracle = cumulative(summary["oracle"]["daily"]["ic"])
        axes.plot(oracle, color="black", linestyle="--", label="oracle")
    for encoder, results in summary["runs"].items():
        axes.plot(cumulative(mean_series([r["daily"]["ic"] for r in results])), label=encoder)
    axes.set(xlabel="test date", ylabel="cumulative daily IC (targets' mean, mean over seeds)")
    axes.legend()
    return figure


def gains(summary: Dict[str, Any], pyplot: Any) -> Any:
    """Each encoder's gain over the baseline (targets' mean IC): point, 95% interval, the MDE
    as a band around 0, the promised gain as a marker."""
    rows = [
        (encoder, row["vs_baseline"]["ic"]["mean"], row["promised_gain"])
        for encoder, row in summary["encoders"].items()
        if "vs_baseline" in row and "error" not in row["vs_baseline"]["ic"]["mean"]
    ]
    if not rows:
        return None
    figure, axes = pyplot.subplots(figsize=(8, 0.6 * len(rows) + 1.5))
    for y, (_, gain, promised) in enumerate(rows):
        if gain["low"] is not None and gain["high"] is not None:
            axes.plot([gain["low"], gain["high"]], [y, y], color="tab:blue", linewidth=2)
        axes.plot(gain["mean"], y, "o", color="tab:blue")
        if gain["mde"] is not None:
            axes.fill_betweenx([y - 0.3, y + 0.3], -gain["mde"], gain["mde"], color="0.9")
        if promised is not None:
            labelled = any(r[2] is not None for r in rows[:y])
            axes.plot(promised, y, "D", color="tab:red", label=None if labelled else "promised")
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(range(len(rows)), [r[0] for r in rows])
    axes.set(xlabel=f"test IC gain over {summary['baseline']} (95% interval; grey: ±MDE)")
    if any(r[2] is not None for r in rows):
        axes.legend(loc="best")
    return figure


def learning_curves(summary: Dict[str, Any], pyplot: Any) -> Any:
    """Validation IC per epoch of each encoder, mean over the seeds that reached that epoch."""
    figure, axes = pyplot.subplots(figsize=(9, 5))
    for encoder, results in summary["runs"].items():
        epochs = max(len(r["history"]) for r in results)
        curve = mean_series(
            [
                [h["valid_ic"] for h in r["history"]] + [math.nan] * (epochs - len(r["history"]))
                for r in results
            ]
        )
        axes.plot(range(1, epochs + 1), curve, marker=".", label=encoder)
    axes.set(xlabel="epoch", ylabel="validation IC (targets' mean, mean over seeds)")
    axes.legend()
    return figure


def gate(summary: Dict[str, Any], pyplot: Any) -> Any:
    gated = {
        encoder: mean_series([r["info"]["gate_value"]["value"] for r in results])
        for encoder, results in summary["runs"].items()
        if all("gate_value" in r["info"] for r in results)
    }
    if not gated:
        return None
    figure, axes = pyplot.subplots(figsize=(9, 4))
    for encoder, values in gated.items():
        axes.plot(values, label=encoder)
    axes.set(xlabel="test date", ylabel="gate_value (RWKV7 branch weight)", ylim=(0, 1))
    axes.legend()
    return figure
