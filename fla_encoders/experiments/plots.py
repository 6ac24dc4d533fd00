"""PNG plots of a comparison, when matplotlib is installed (extra ``fla-encoders[plots]``):
cumulative test IC per encoder, and the gated fusion's ``gate_value`` over test dates."""

from pathlib import Path
from typing import Any, Dict, List


def mean_series(series: List[List[float]]) -> List[float]:
    """Element-wise mean of equally long series (NaN entries count as 0)."""
    return [sum(v if v == v else 0.0 for v in values) / len(values) for values in zip(*series)]


def cumulative(values: List[float]) -> List[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def write_plots(summary: Dict[str, Any], out_dir: Path) -> List[Path]:
    """``cumulative_ic.png`` and, when an encoder reports it, ``gate_value.png``; none without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return []
    written = []
    figure, axes = pyplot.subplots(figsize=(9, 5))
    for encoder, results in summary["runs"].items():
        ic = mean_series([r["daily"]["ic"] for r in results])
        axes.plot(cumulative(ic), label=encoder)
    axes.set(xlabel="test date", ylabel="cumulative daily IC (mean over seeds)")
    axes.legend()
    figure.savefig(out_dir / "cumulative_ic.png", dpi=100)
    pyplot.close(figure)
    written.append(out_dir / "cumulative_ic.png")
    gated = {
        encoder: mean_series([r["info"]["gate_value"]["value"] for r in results])
        for encoder, results in summary["runs"].items()
        if all("gate_value" in r["info"] for r in results)
    }
    if gated:
        figure, axes = pyplot.subplots(figsize=(9, 4))
        for encoder, values in gated.items():
            axes.plot(values, label=encoder)
        axes.set(xlabel="test date", ylabel="gate_value (RWKV7 branch weight)", ylim=(0, 1))
        axes.legend()
        figure.savefig(out_dir / "gate_value.png", dpi=100)
        pyplot.close(figure)
        written.append(out_dir / "gate_value.png")
    return written
