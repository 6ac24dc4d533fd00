"""The forecasting model, its head, the initialisation policy and the configurations."""

from fla_encoders.model.config import apply_overrides, build_model, config_names, load_config
from fla_encoders.model.financial import FLAFinancialModel
from fla_encoders.model.init import WeightInitializerMixin
from fla_encoders.model.mlp import MyMLP

__all__ = [
    "FLAFinancialModel",
    "MyMLP",
    "WeightInitializerMixin",
    "apply_overrides",
    "build_model",
    "config_names",
    "load_config",
]
