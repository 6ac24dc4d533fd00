"""What the three models share (``fla.models.modeling_utils``): the pre-trained base with fla's
weight initialisation and loss, the decoder stack and the causal LM head.

A model is ``embeddings [vocab, D]`` -> ``layers`` (blocks returning ``(hidden, attentions,
past_key_values, carry)``) -> ``norm`` -> ``lm_head [vocab, D]``, with fla's parameter names.
"""

from __future__ import annotations

import math
import warnings
from copy import copy
from typing import Any

import torch
from torch import nn
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.modeling_utils import PreTrainedModel

from myfla.models.cache_utils import Cache
from myfla.models.generation_utils import FLAUnsupportedCacheGenerationMixin
from myfla.modules import GatedMLP, RMSNorm
from myfla.modules.l2warp import l2_warp

PRENORM_RESIDUAL_STRATEGIES = ("rescale", "zero")


def model_norm(config, fused_class: type, torch_class: type, **kwargs) -> nn.Module:
    """``fused_class`` (myfla's norm) with ``fuse_norm``, else torch's; both ``[hidden_size]``."""
    norm_class = fused_class if config.fuse_norm else torch_class
    return norm_class(config.hidden_size, eps=config.norm_eps, **kwargs)


def add_and_norm(
    norm: nn.Module, fused: bool, x: torch.Tensor, residual: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(norm(x + residual), x + residual)``; a fused norm adds in float32 as fla's does."""
    if fused:
        return norm(x, residual, True)
    residual = residual + x
    return norm(residual), residual


class GatedMLPBlock(GradientCheckpointingLayer):
    """``attn_norm -> attn -> (+) -> mlp_norm -> mlp -> (+)`` on ``[B, T, hidden_size]``.

    ``attn`` is the block's sequence mixer, ``mlp`` the config's GatedMLP; RMS norms.
    """

    def __init__(self, config, layer_idx: int, attn: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.attn_norm = model_norm(config, RMSNorm, nn.RMSNorm)
        self.attn = attn
        self.mlp_norm = model_norm(config, RMSNorm, nn.RMSNorm)
        self.mlp = GatedMLP(
            hidden_size=config.hidden_size,
            hidden_ratio=config.hidden_ratio,
            intermediate_size=config.intermediate_size,
            hidden_act=config.hidden_act,
            fuse_swiglu=config.fuse_swiglu,
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = False,
        output_attentions: bool | None = False,
        carry: Any = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, Any, Cache | None, Any]:
        residual = hidden_states
        hidden_states, attentions, past_key_values = self.attn(
            hidden_states=self.attn_norm(hidden_states),
            attention_mask=attention_mask,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            **kwargs,
        )
        hidden_states, residual = add_and_norm(
            self.mlp_norm, self.config.fuse_norm, hidden_states, residual
        )
        hidden_states = residual + self.mlp(hidden_states, **kwargs)
        return hidden_states, attentions, past_key_values, carry


class FLAPreTrainedModel(PreTrainedModel):
    """transformers' base for the models, with fla's initialisation and loss."""

    _is_stateful = True
    _input_embed_layer = "embeddings"
    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _supports_cache_class = True

    def set_output_embeddings(self, new_embeddings):
        self.lm_head = new_embeddings

    def _init_weights(
        self,
        module: nn.Module,
        prenorm_residual_strategy: str | None = None,
        num_residuals_per_layer: int = 2,
    ) -> None:
        """fla's initialisation of one module, then the optional GPT-2 scaling of the residual
        projections (``o_proj``, ``down_proj``): ``'rescale'`` (by ``1/sqrt(2 * layers)``) or
        ``'zero'``."""
        self._init_module(module)
        weight = getattr(getattr(module, "o_proj", None), "weight", None)
        if weight is None:
            weight = getattr(getattr(module, "down_proj", None), "weight", None)
        if prenorm_residual_strategy is None or weight is None:
            return
        if prenorm_residual_strategy not in PRENORM_RESIDUAL_STRATEGIES:
            raise ValueError(
                f"prenorm_residual_strategy must be one of {list(PRENORM_RESIDUAL_STRATEGIES)}, "
                f"got {prenorm_residual_strategy!r}"
            )
        if prenorm_residual_strategy == "zero":
            nn.init.zeros_(weight)
            return
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
        with torch.no_grad():
            weight /= math.sqrt(num_residuals_per_layer * self.config.num_hidden_layers)

    def _init_module(self, module: nn.Module) -> None:
        """Linear and convolution weights ~ N(0, initializer_range), biases 0; embeddings ~ N(0,
        initializer_range); any other module with ``reset_parameters`` reset."""
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            nn.init.normal_(module.weight, mean=0.0, std=self.config.initializer_range)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=self.config.initializer_range)
        elif hasattr(module, "reset_parameters"):
            module.reset_parameters()

    def _compute_logits_and_loss(
        self,
        hidden_states: torch.Tensor,
        labels: torch.LongTensor | None = None,
        logits_to_keep: int | torch.Tensor | None = 0,
        shift_labels: torch.LongTensor | None = None,
        num_items_in_batch: int | torch.Tensor | None = None,
    ) -> tuple[torch.Tensor | None, torch.Tensor]:
        """``(loss, logits)`` from the last hidden states ``[B, T, D]``.

        Logits of the last ``logits_to_keep`` steps (0: all; a tensor: those indices), or of all
        steps when there are labels. The loss is torch's cross-entropy in float32 of each step's
        logits against the next label (``shift_labels`` if given), in place of fla's fused
        kernels (``fuse_cross_entropy``, ``fuse_linear_cross_entropy``); L2Wrap's gradient with
        ``use_l2warp``; summed and divided by ``num_items_in_batch`` when given.
        """
        has_labels = labels is not None or shift_labels is not None
        selected = hidden_states
        if not has_labels and logits_to_keep is not None:
            if isinstance(logits_to_keep, int):
                selected = hidden_states[:, -logits_to_keep:]
            else:
                selected = hidden_states[:, logits_to_keep]
        logits = self.lm_head(selected)
        if not has_labels:
            return None, logits
        criterion = getattr(self, "criterion", None)
        reduction = "mean" if num_items_in_batch is None else "sum"
        if criterion is None:
            criterion = nn.CrossEntropyLoss(reduction=reduction)
        elif num_items_in_batch is not None:
            if not hasattr(criterion, "reduction"):
                raise ValueError("a criterion used with num_items_in_batch needs a reduction")
            criterion = copy(criterion)
            criterion.reduction = "sum"
        if shift_labels is None:
            labels = labels.to(hidden_states.device)
            ignored = torch.full_like(labels[:, :1], criterion.ignore_index)
            shift_labels = torch.cat((labels[..., 1:], ignored), dim=1)
        shift_labels = shift_labels.to(hidden_states.device)
        loss = criterion(logits.float().reshape(shift_labels.numel(), -1), shift_labels.reshape(-1))
        if getattr(self.config, "use_l2warp", False):
            loss = l2_warp(loss, logits)
        if num_items_in_batch is not None:
            if isinstance(num_items_in_batch, torch.Tensor):
                num_items_in_batch = num_items_in_batch.to(loss.device)
            loss = loss / num_items_in_batch
        return loss, logits


class FLAModel(FLAPreTrainedModel):
    """The decoder: ``input_ids [B, T]`` -> last hidden states ``[B, T, hidden_size]``.

    A subclass names its ``block_class``, built as ``block_class(config, layer_idx)``.
    """

    block_class: type

    def __init__(self, config) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.vocab_size = config.vocab_size
        self.embeddings = nn.Embedding(config.vocab_size, config.hidden_size, self.padding_idx)
        self.layers = nn.ModuleList(
            self.block_class(config, layer_idx) for layer_idx in range(config.num_hidden_layers)
        )
        self.norm = self.final_norm(config)
        self.gradient_checkpointing = False
        self.post_init()

    def final_norm(self, config) -> nn.Module:
        """The norm after the last block: RMS norm."""
        return model_norm(config, RMSNorm, nn.RMSNorm)

    def initial_carry(self, hidden_states: torch.Tensor) -> Any:
        """What the first block is given as ``carry`` (RWKV7: ``v_first``); ``None`` here."""
        return None

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Cache | list | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> tuple | BaseModelOutputWithPast:
        """``attention_mask [B, T]``: 0/1, left padding; ``cu_seqlens`` (keyword) for packed
        ``B == 1`` inputs. With ``use_cache`` the states go to ``past_key_values`` (a new
        :class:`Cache`, or one converted from fla's legacy form)."""
        if output_attentions:
            warnings.warn(
                f"{type(self).__name__} does not output attentions: output_attentions is ignored",
                stacklevel=2,
            )
        output_hidden_states = (
            self.config.output_hidden_states
            if output_hidden_states is None
            else output_hidden_states
        )
        if use_cache is None:
            use_cache = self.config.use_cache and not self.training
        return_dict = self.config.return_dict if return_dict is None else return_dict
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("give exactly one of input_ids and inputs_embeds")
        hidden_states = self.embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        if use_cache and not isinstance(past_key_values, Cache):
            past_key_values = Cache.from_legacy_cache(past_key_values)

        all_hidden_states = () if output_hidden_states else None
        carry = self.initial_carry(hidden_states)
        for layer in self.layers:
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            hidden_states, _, past_key_values, carry = layer(
                hidden_states,
                attention_mask=attention_mask,
                past_key_values=past_key_values,
                use_cache=use_cache,
                output_attentions=False,
                carry=carry,
                **kwargs,
            )
        hidden_states = self.norm(hidden_states)
        if output_hidden_states:
            all_hidden_states += (hidden_states,)
        if not return_dict:
            outputs = (hidden_states, past_key_values, all_hidden_states)
            return tuple(item for item in outputs if item is not None)
        return BaseModelOutputWithPast(
            last_hidden_state=hidden_states,
            past_key_values=past_key_values,
            hidden_states=all_hidden_states,
        )


class FLAForCausalLM(FLAPreTrainedModel, FLAUnsupportedCacheGenerationMixin):
    """``model`` plus ``lm_head``: ``input_ids [B, T]`` -> ``logits [B, T, vocab_size]``.

    A subclass names its ``model_class`` (an :class:`FLAModel`).
    """

    _tied_weights_keys = {"lm_head.weight": "model.embeddings.weight"}
    model_class: type

    def __init__(self, config) -> None:
        super().__init__(config)
        self.model = self.model_class(config)
        self.vocab_size = config.vocab_size
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.criterion = None
        self.post_init()

    def get_decoder(self):
        return self.model

    def set_decoder(self, decoder):
        self.model = decoder

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Cache | list | None = None,
        labels: torch.LongTensor | None = None,
        shift_labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int | torch.Tensor | None = 0,
        num_items_in_batch: int | torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple | CausalLMOutputWithPast:
        """As :meth:`FLAModel.forward`; ``labels [B, T]`` (``-100`` ignored) give the loss."""
        return_dict = self.config.return_dict if return_dict is None else return_dict
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            **kwargs,
        )
        loss, logits = self._compute_logits_and_loss(
            outputs[0],
            labels=labels,
            logits_to_keep=logits_to_keep,
            shift_labels=shift_labels,
            num_items_in_batch=num_items_in_batch,
        )
        if not return_dict:
            output = (logits,) + tuple(outputs[1:])
            return output if loss is None else (loss,) + output
        return CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
        )


__all__ = [
    "FLAForCausalLM",
    "FLAModel",
    "FLAPreTrainedModel",
    "GatedMLPBlock",
    "add_and_norm",
    "model_norm",
]
