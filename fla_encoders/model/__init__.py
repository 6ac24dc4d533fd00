"""The forecasting model: an encoder by name and its prediction head."""

from fla_encoders.model.financial import FLAFinancialModel
from fla_encoders.model.head import MyMLP, PredictionHead
from fla_encoders.nn.init import WeightInitializerMixin

__all__ = ["FLAFinancialModel", "MyMLP", "PredictionHead", "WeightInitializerMixin"]
