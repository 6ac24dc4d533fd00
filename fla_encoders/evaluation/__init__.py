"""IC metrics (Qlib's definitions), predictions over a dataset, and the statistics of a
comparison."""

from fla_encoders.evaluation.metrics import daily_ic, ic_metrics, pearson, spearman, summarize
from fla_encoders.evaluation.predict import Predictions, monitoring, predict

__all__ = [
    "Predictions",
    "daily_ic",
    "ic_metrics",
    "monitoring",
    "pearson",
    "predict",
    "spearman",
    "summarize",
]
