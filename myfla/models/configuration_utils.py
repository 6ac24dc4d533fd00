"""What the model configs share (``fla.models.configuration_utils``): fla's fields that every
config has, and the checks of the options that myfla does not implement."""

from __future__ import annotations

from typing import Any

from transformers.configuration_utils import PreTrainedConfig

# Passed on to transformers' PreTrainedConfig, which keeps them.
TOKEN_FIELDS = ("pad_token_id", "bos_token_id", "eos_token_id", "tie_word_embeddings")


def check_options(fields: dict[str, Any]) -> None:
    """Refuse the options of fla that myfla's models do not have, and fla's loss conflict."""
    if fields.get("attn") is not None:
        raise NotImplementedError(
            "attn (standard attention in selected layers) is not supported by myfla: "
            "myfla has no softmax attention layer; leave attn=None"
        )
    if fields.get("attnres_block_size") is not None:
        raise NotImplementedError(
            "attnres_block_size (attention residuals) is not supported by myfla; leave it None"
        )
    if fields.get("fuse_cross_entropy") and fields.get("fuse_linear_cross_entropy"):
        raise ValueError(
            "fuse_cross_entropy and fuse_linear_cross_entropy cannot both be True (as in fla)"
        )


class FLAConfig(PreTrainedConfig):
    """Base of the three configs: stores fla's fields as attributes, the token ids in
    transformers' config."""

    keys_to_ignore_at_inference = ["past_key_values"]

    def _set_fields(self, fields: dict[str, Any], kwargs: dict[str, Any]) -> None:
        """``fields``: the subclass's ``__init__`` arguments by name; ``kwargs``: the rest."""
        check_options(fields)
        tokens = {name: fields.pop(name) for name in TOKEN_FIELDS}
        for name, value in fields.items():
            setattr(self, name, value)
        PreTrainedConfig.__init__(self, **tokens, **kwargs)


def init_arguments(local_variables: dict[str, Any]) -> dict[str, Any]:
    """A config ``__init__``'s named arguments, from its ``locals()``."""
    return {
        name: value
        for name, value in local_variables.items()
        if name not in ("self", "kwargs", "__class__")
    }
