"""The comparison's outputs: the Markdown report (``markdown``), the JSON of every number, the
plots; ``write_report`` writes them, ``regenerate`` remakes a report from its JSON."""

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from fla_encoders.experiments.plots import write_plots

EM_DASH = "-"


def number(value: Optional[float], digits: int = 4, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def spread(stats: Dict[str, float], digits: int = 4) -> str:
    """``mean ± std`` (std over seeds)."""
    if stats["n"] < 2:
        return number(stats["mean"], digits)
    return f"{number(stats['mean'], digits)} ± {number(stats['std'], digits)}"


def interval(gain: Dict[str, Any]) -> str:
    """``+0.0012 [-0.0030, +0.0054]``, or why there is no estimate."""
    if "error" in gain:
        return f"n/a ({gain['error']})"
    bounds = f"[{number(gain['low'], sign=True)}, {number(gain['high'], sign=True)}]"
    return f"{number(gain['mean'], sign=True)} {bounds}"


def rows_table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def ladder_table(summary: Dict[str, Any]) -> str:
    """One row per encoder: test metrics over seeds, fraction of the oracle, the gain over the
    baseline for the targets' mean IC, its MDE and the verdict on the promised gain."""
    baseline = summary["baseline"]
    rows = []
    if summary.get("oracle"):
        m = summary["oracle"]["metrics"]["mean"]
        rows.append(
            ["oracle", "-", "-", number(m["ic"]), "100%", number(m["rank_ic"])]
            + [number(m["icir"], 3)]
            + [EM_DASH] * 4
        )
    for encoder, row in summary["encoders"].items():
        fraction = row.get("oracle_fraction", {}).get("mean")
        gain = row.get("vs_baseline", {}).get("ic", {}).get("mean")
        promised = row["promised_gain"]
        rows.append(
            [
                encoder,
                row["level"],
                str(row["seeds"]),
                spread(row["metrics"]["ic"]),
                EM_DASH if fraction is None else f"{100 * fraction:.0f}%",
                spread(row["metrics"]["rank_ic"]),
                spread(row["metrics"]["icir"], 3),
                EM_DASH if gain is None else interval(gain),
                EM_DASH if gain is None else number(gain.get("mde")),
                EM_DASH if promised is None else f"≥ {promised:+.4f}",
                "baseline"
                if encoder == baseline
                else (EM_DASH if gain is None else gain.get("verdict", "undecidable")),
            ]
        )
    for encoder, reason in summary["unavailable"].items():
        rows.append([encoder, "-", "0", f"unavailable: {reason}"] + [""] * 7)
    header = [
        "encoder",
        "level",
        "seeds",
        "test IC",
        "of oracle",
        "Rank IC",
        "ICIR",
        f"ΔIC vs {baseline} [95% CI]",
        "MDE",
        "promised gain",
        "verdict",
    ]
    return rows_table(header, rows)


def table(summary: Dict[str, Any]) -> str:
    """What the command line prints: the ladder table and the decisions under it."""
    return "\n\n".join([ladder_table(summary), decisions(summary)])


def decisions(summary: Dict[str, Any]) -> str:
    """The planted effect (mock) and, for every encoder with a promised gain, what its verdict
    rests on or what deciding it would take."""
    lines = []
    planted = summary.get("planted_effect")
    if planted:
        gain = planted["vs_reference"]
        lines.append(
            f"- Planted effect: the best sequence encoder on `{planted['target']}`, "
            f"`{planted['encoder']}`, against `{summary['reference']}`: ΔIC {interval(gain)}, "
            f"MDE {number(gain.get('mde'))}: "
            f"**{gain.get('vs_zero', 'undecidable')}**."
        )
    for encoder, row in summary["encoders"].items():
        gain = row.get("vs_baseline", {}).get("ic", {}).get("mean")
        if gain is not None and row["promised_gain"] is not None:
            verdict = gain.get("verdict", "undecidable")
            why = gain.get("to_decide", gain.get("error"))
            lines.append(f"- `{encoder}` (level {row['level']}): **{verdict}**; {why}.")
    return "\n".join(lines)


def per_target_table(summary: Dict[str, Any], kind: str, against: str) -> str:
    """ΔIC (``kind``) against the baseline or the reference per encoder and target."""
    rows = []
    for encoder, row in summary["encoders"].items():
        gains = row.get(against, {}).get(kind)
        if gains is None:
            continue
        for target, gain in gains.items():
            rows.append(
                [
                    encoder,
                    target,
                    interval(gain),
                    number(gain.get("mde")),
                    gain.get("verdict" if against == "vs_baseline" else "vs_zero", "undecidable"),
                ]
            )
    decision = "verdict" if against == "vs_baseline" else "vs 0"
    return rows_table(["encoder", "target", "gain [95% CI]", "MDE", decision], rows)


def information_table(summary: Dict[str, Any]) -> str:
    """alphalens' information table of each encoder's seed-averaged daily IC (targets' mean)."""
    rows = []
    named = dict(summary["encoders"])
    if summary.get("oracle"):
        named = {"oracle": summary["oracle"], **named}
    for encoder, row in named.items():
        t = row["information"]["mean"]["ic"]
        rows.append(
            [encoder]
            + [
                number(t.get(k), 4 if k.startswith("ic") or k == "risk_adjusted_ic" else 3)
                for k in (
                    "ic_mean",
                    "ic_std",
                    "risk_adjusted_ic",
                    "t_stat",
                    "p_value",
                    "t_stat_hac",
                    "p_value_hac",
                    "ic_skew",
                    "ic_kurtosis",
                )
            ]
        )
    header = [
        "encoder",
        "IC mean",
        "IC std",
        "risk-adjusted IC",
        "t-stat",
        "p-value",
        "t-stat (HAC)",
        "p-value (HAC)",
        "skew",
        "kurtosis",
    ]
    return rows_table(header, rows)


def long_short_table(summary: Dict[str, Any]) -> str:
    """The long-short view of each encoder's first target, averaged over seeds."""
    rows = []
    for encoder, row in summary["encoders"].items():
        target, ls = next(iter(row["long_short"].items()))
        rows.append(
            [
                encoder,
                target,
                number(ls["annualized_return"], 3),
                number(ls["annualized_volatility"], 3),
                number(ls["sharpe"], 2),
                number(ls["max_drawdown"], 3),
                number(ls["turnover"], 2),
            ]
        )
    header = [
        "encoder",
        "target",
        "annualised return",
        "annualised volatility",
        "Sharpe",
        "max drawdown",
        "turnover",
    ]
    return rows_table(header, rows)


def markdown(summary: Dict[str, Any], settings: List[str], plots: List[str] = ()) -> str:
    """The report: the ladder, the decisions, per-target gains, the tables quants read, how to
    read them, the settings."""
    baseline, reference = summary["baseline"], summary["reference"]
    gains = (
        r.get("vs_baseline", {}).get("ic", {}).get("mean", {}) for r in summary["encoders"].values()
    )
    method = next((g["method"] for g in gains if "method" in g), "no gain could be estimated")
    parts = [
        f"# Encoder ladder against the {baseline} baseline",
        "",
        ladder_table(summary),
        "",
        decisions(summary),
        "",
        *[f"![{Path(p).stem}]({Path(p).name})" for p in plots],
        "",
        f"## Gains over {baseline} per target (IC)",
        "",
        per_target_table(summary, "ic", "vs_baseline"),
        "",
        f"## Gains over {baseline} per target (Rank IC)",
        "",
        per_target_table(summary, "rank_ic", "vs_baseline"),
        "",
        f"## Gains over the `{reference}` reference (IC)",
        "",
        per_target_table(summary, "ic", "vs_reference"),
        "",
        "## Information table (alphalens; seed-averaged daily IC, targets' mean)",
        "",
        information_table(summary),
        "",
        "## Long-short (top minus bottom quintile, equal weights; mean over seeds)",
        "",
        long_short_table(summary),
        "",
        "## How to read it",
        "",
        "Test split. *test IC*: the mean daily IC over targets, mean ± std over seeds; "
        "*of oracle*: its fraction of the planted signal's own IC on the same dates and assets "
        "(synthetic panels). *ΔIC*: the mean paired daily gain over seeds and dates, with a 95% "
        "interval covering seed-to-seed and (serially correlated) date-to-date noise "
        '(docs/evaluation.md, "How a gain is decided"); *MDE*: the gain this design detects '
        "with 80% power. Verdict on the promised gain: *met* when the interval lies at or above "
        "it, *not met* when below, *undecidable* when it straddles it (what deciding would take "
        "is printed). Method: " + method + ".",
        "",
        "Settings: " + ", ".join(f"`{s}`" for s in settings),
        "",
    ]
    return "\n".join(parts)


def write_report(summary: Dict[str, Any], settings: List[str], out_dir: Path) -> List[Path]:
    """Write ``results.json``, the plots (with matplotlib) and ``report.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.json"
    results.write_text(
        json.dumps({**summary, "settings": settings}, indent=1, default=float) + "\n"
    )
    return [results, *regenerate(results, out_dir / "report.md")]


def regenerate(results: Path, report: Path) -> List[Path]:
    """Remake ``report`` (Markdown) and its plots, beside it and named after it, from a
    ``results.json``; returns the files written."""
    summary = json.loads(Path(results).read_text())
    report.parent.mkdir(parents=True, exist_ok=True)
    plots = write_plots(summary, report.parent, prefix=f"{report.stem}-")
    report.write_text(markdown(summary, summary.get("settings", []), [str(p) for p in plots]))
    return [report, *plots]
