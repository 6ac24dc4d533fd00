"""The models' registration with transformers' ``AutoConfig``, ``AutoModel`` and
``AutoModelForCausalLM``, by their fla ``model_type``."""

from transformers import AutoConfig, AutoModel, AutoModelForCausalLM


def register(config_class: type, model_class: type, causal_lm_class: type) -> None:
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    AutoModel.register(config_class, model_class, exist_ok=True)
    AutoModelForCausalLM.register(config_class, causal_lm_class, exist_ok=True)


__all__ = ["register"]
