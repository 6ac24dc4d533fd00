"""IC metrics (Qlib's definitions), predictions over a dataset, and the encoder comparison."""

from fla_encoders.evaluation.metrics import daily_ic, ic_metrics, pearson, spearman, summarize
from fla_encoders.evaluation.predict import Predictions, predict

__all__ = ["Predictions", "daily_ic", "ic_metrics", "pearson", "predict", "spearman", "summarize"]
