"""The comparison's outputs: a Markdown table, a JSON of every number, and the files."""

import json
import math
from pathlib import Path
from typing import Any, Dict, List

from fla_encoders.experiments.plots import write_plots


def number(value: float, digits: int = 4, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def spread(stats: Dict[str, float], digits: int = 4) -> str:
    """``mean ± std`` (std over seeds)."""
    if stats["n"] < 2:
        return number(stats["mean"], digits)
    return f"{number(stats['mean'], digits)} ± {number(stats['std'], digits)}"


def table(summary: Dict[str, Any]) -> str:
    """The Markdown table of ``summary`` (see fla_encoders.evaluation.compare.summarize)."""
    lines = [
        "| encoder | level | seeds | test IC | Rank IC | ICIR | Rank ICIR "
        "| ΔIC vs gru [95% CI] | promised gain | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for encoder, row in summary["encoders"].items():
        diff = row.get("vs_baseline")
        if diff is None:
            difference = "-"
        else:
            bounds = f"[{number(diff['low'], sign=True)}, {number(diff['high'], sign=True)}]"
            difference = f"{number(diff['mean'], sign=True)} {bounds}"
        target = "-" if row["target"] is None else f"≥ {row['target']:+.4f}"
        cells = [
            encoder,
            row["level"],
            str(row["seeds"]),
            spread(row["ic"]),
            spread(row["rank_ic"]),
            spread(row["icir"], 3),
            spread(row["rank_icir"], 3),
            difference,
            target,
            row["verdict"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for encoder, reason in summary["unavailable"].items():
        lines.append(f"| {encoder} | - | 0 | unavailable: {reason} | | | | | | |")
    return "\n".join(lines)


def markdown(summary: Dict[str, Any], settings: List[str]) -> str:
    """The report: the table, the settings it was made with, and how to read it."""
    return "\n".join(
        [
            "# Encoder ladder against the GRU baseline",
            "",
            table(summary),
            "",
            "Test-split metrics, averaged over targets, then mean ± std over seeds. ΔIC: the "
            "paired difference of test IC against `gru` over matched seeds, with a 95% Student t "
            "interval. Verdict on the promised gain: *met* when the interval lies at or "
            "above it, *not met* when below it, *undecidable* when it straddles it.",
            "",
            "Settings: " + ", ".join(f"`{s}`" for s in settings),
            "",
        ]
    )


def write_report(summary: Dict[str, Any], settings: List[str], out_dir: Path) -> List[Path]:
    """Write ``report.md``, ``results.json`` and the plots (when matplotlib is installed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report, results = out_dir / "report.md", out_dir / "results.json"
    report.write_text(markdown(summary, settings))
    payload = {**summary, "settings": settings}
    results.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    return [report, results, *write_plots(summary, out_dir)]
