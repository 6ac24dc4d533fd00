"""Per-layer inference cache of models and layers (fla.models.cache_utils).

Each layer owns a dict ``{'recurrent_state', 'attn_state', 'conv_state', 'ffn_state'}`` and its own
count of tokens seen. Layers store what they need, e.g. GatedDeltaNet:
``recurrent_state [N, HV, V, K]`` and ``conv_state`` a tuple of q/k/v states ``[N, D, W]``.

With transformers installed (``myfla[hf]``), ``Cache`` is a ``transformers.Cache`` and ``FLALayer``
a ``transformers.cache_utils.CacheLayerMixin``, as in fla, so ``generate`` handles it as its own;
without transformers they are plain classes with the same behaviour.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterator

import torch

from myfla._checks import check_int

try:
    from transformers.cache_utils import Cache as TransformersCache
    from transformers.cache_utils import CacheLayerMixin as TransformersCacheLayer
except ImportError:
    TransformersCache = TransformersCacheLayer = None

STATE_KEYS = ("recurrent_state", "attn_state", "conv_state", "ffn_state")


def _check_attn_state(attn_state: Any) -> None:
    if attn_state is not None and not isinstance(attn_state, (tuple, list)):
        raise ValueError(
            "attn_state must be a tuple/list of [B, T, ...] tensors, "
            f"got {type(attn_state).__name__}"
        )


def _window(window_size: Any) -> int | None:
    if window_size is not None:
        check_int("cache_kwargs['window_size']", window_size, minimum=1)
    return window_size


def _map_tensors(value: Any, function: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``function`` to every tensor inside nested dicts, tuples, lists and dataclasses."""
    if isinstance(value, torch.Tensor):
        return function(value)
    if isinstance(value, dict):
        return {key: _map_tensors(item, function) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_map_tensors(item, function) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return type(value)(**{name: _map_tensors(v, function) for name, v in fields.items()})
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise NotImplementedError(f"cannot transform a cache state of type {type(value).__name__}")


def _select_batch(indices: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda t: t.index_select(0, indices.to(t.device))


def _repeat_batch(repeats: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda t: t.repeat_interleave(repeats, dim=0)


class FLALayer(TransformersCacheLayer or object):
    """The cache of one layer: its ``state`` dict (``None`` until first updated) and token count."""

    is_compileable = False
    is_sliding = False

    def __init__(self) -> None:
        super().__init__()
        self.state: dict[str, Any] | None = None
        self.window_size: int | None = None
        self.is_initialized = False
        self._seen_tokens = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: Any = None) -> None:
        """transformers' hook before a first update: only the device is taken from it."""
        self.device = key_states.device

    def update(
        self,
        *,
        recurrent_state: Any = None,
        attn_state: tuple[torch.Tensor, ...] | None = None,
        conv_state: Any = None,
        ffn_state: Any = None,
        offset: int = 1,
        cache_kwargs: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Store the given states (``None`` keeps the old one); attention states are appended.

        Attention key/value states ``[B, T, ...]`` are concatenated along T and, with
        ``cache_kwargs['window_size']`` (remembered across calls), cut to the last ``window_size``
        steps. The token count grows by the attention input length if one is given, else ``offset``.
        """
        if cache_kwargs is not None and not isinstance(cache_kwargs, dict):
            raise TypeError(f"cache_kwargs must be a dict, got {type(cache_kwargs).__name__}")
        offset = check_int("offset", offset)
        _check_attn_state(attn_state)
        self.window_size = _window((cache_kwargs or {}).get("window_size", self.window_size))
        self.is_sliding = self.window_size is not None
        if self.state is None:
            self.state = dict.fromkeys(STATE_KEYS)
        if recurrent_state is not None:
            self.state["recurrent_state"] = recurrent_state
        has_attn = bool(attn_state) and attn_state[0] is not None
        if has_attn:
            self._update_attn(tuple(attn_state))
        if conv_state is not None:
            self.state["conv_state"] = conv_state
        if ffn_state is not None:
            self.state["ffn_state"] = ffn_state
        self._seen_tokens += attn_state[0].shape[1] if has_attn else offset
        self.is_initialized = True
        return self.state

    def _update_attn(self, new: tuple[torch.Tensor, ...]) -> None:
        cached, window = self.state["attn_state"], self.window_size
        if cached is not None and window is not None and new[0].shape[1] == 0:
            return
        if cached is not None:
            new = tuple(torch.cat([old, item], 1) for old, item in zip(cached, new))
        if window is not None:
            new = tuple(
                item[:, -window:].contiguous() if item.shape[1] > window else item for item in new
            )
        self.state["attn_state"] = new

    def get_seq_length(self, cache_position: Any = None) -> int:
        return self._seen_tokens

    def get_max_length(self) -> int:
        """-1: a recurrent state has no maximum length."""
        return -1

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        """``(kv_length, kv_offset)`` of an attention mask for ``query_length`` new tokens."""
        cached = self._seen_tokens
        if self.window_size is not None:
            cached = min(cached, self.window_size - 1)
        return cached + query_length, self._seen_tokens - cached

    def mapped_state(self, function: Callable[[torch.Tensor], torch.Tensor]) -> Any:
        """The state with every tensor replaced by ``function(tensor)`` (the layer unchanged)."""
        return _map_tensors(self.state, function)

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Select/reorder the batch (dim 0) of every state tensor by ``beam_idx [N']``."""
        self.state = self.mapped_state(_select_batch(beam_idx))

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self.reorder_cache(indices)

    def batch_repeat_interleave(self, repeats: int) -> None:
        """Repeat every state ``repeats`` times along the batch (e.g. for beam search)."""
        self.state = self.mapped_state(_repeat_batch(repeats))

    def crop(self, max_length: int) -> None:
        """Forget tokens beyond ``max_length`` (negative: drop that many); attention states only."""
        if max_length < 0:
            max_length = max(0, self._seen_tokens + max_length)
        if max_length >= self._seen_tokens:
            return
        recurrent_keys = ("recurrent_state", "conv_state", "ffn_state")
        if self.state is not None and any(self.state.get(k) is not None for k in recurrent_keys):
            raise NotImplementedError("recurrent, conv and ffn states cannot be rolled back")
        if self.window_size is not None and self._seen_tokens > self.window_size:
            raise NotImplementedError("a sliding-window cache cannot be rolled back")
        if self.state is not None and self.state["attn_state"] is not None:
            self.state["attn_state"] = tuple(s[:, :max_length] for s in self.state["attn_state"])
        self._seen_tokens = max_length

    def reset(self) -> None:
        self.state = None
        self.is_initialized = False
        self._seen_tokens = 0


class Cache(TransformersCache or object):
    """States of every layer of a model, indexed by ``layer_idx``; fla's ``Cache`` behaviour.

    ``cache[i]`` is layer ``i``'s state dict, ``len(cache)`` the number of layers stored,
    iteration yields the state dicts. ``seen_tokens`` is kept for API compatibility and only
    used by :meth:`from_legacy_cache` to seed the layers' counts. The other arguments are
    those of transformers' ``DynamicCache``: ``config`` is not needed (layers are made on first
    use), and neither offloading nor ``ddp_cache_data`` is supported.
    """

    is_compileable = False

    def __init__(
        self,
        seen_tokens: int = 0,
        config: Any = None,
        offloading: bool = False,
        offload_only_non_sliding: bool = True,
        ddp_cache_data: Any = None,
    ) -> None:
        if offloading or ddp_cache_data is not None:
            raise NotImplementedError("offloading and ddp_cache_data are not supported by Cache")
        if TransformersCache is None:
            super().__init__()
        else:
            super().__init__(layer_class_to_replicate=FLALayer)
        self.layers: list[FLALayer] = []
        self._seen_tokens = check_int("seen_tokens", seen_tokens)

    def update(
        self,
        recurrent_state: Any = None,
        attn_state: tuple[torch.Tensor, ...] | None = None,
        conv_state: Any = None,
        ffn_state: Any = None,
        layer_idx: int = 0,
        offset: int | None = 1,
        cache_kwargs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Update layer ``layer_idx`` (created on first use) and return its state dict.

        States given as ``None`` keep their old value; ``offset`` (``None`` = 1) new tokens are
        counted for the layer; see :meth:`FLALayer.update` for attention states.
        """
        if layer_idx is None:
            raise TypeError("layer_idx must be an int (a layer used with a cache needs layer_idx)")
        layer_idx = check_int("layer_idx", layer_idx)
        while len(self.layers) <= layer_idx:
            self.layers.append(FLALayer())
        return self.layers[layer_idx].update(
            recurrent_state=recurrent_state,
            attn_state=attn_state,
            conv_state=conv_state,
            ffn_state=ffn_state,
            offset=1 if offset is None else offset,
            cache_kwargs=cache_kwargs,
        )

    def __getitem__(self, layer_idx: int) -> dict[str, Any] | None:
        if layer_idx >= len(self.layers):
            raise KeyError(f"the cache holds {len(self.layers)} layer(s), no layer_idx {layer_idx}")
        return self.layers[layer_idx].state

    def __iter__(self) -> Iterator[dict[str, Any] | None]:
        for layer in self.layers:
            yield layer.state

    def __len__(self) -> int:
        return len(self.layers)

    def get_seq_length(self, layer_idx: int | None = 0, cache_position: Any = None) -> int:
        """Tokens seen by layer ``layer_idx`` (0 for a layer not stored yet)."""
        layer_idx = layer_idx or 0
        if len(self.layers) <= layer_idx:
            return 0
        return self.layers[layer_idx].get_seq_length()

    def get_max_length(self, layer_idx: int | None = 0) -> int:
        """-1: the cache has no maximum length."""
        return -1

    def get_max_cache_shape(self, layer_idx: int | None = 0) -> int:
        return self.get_max_length(layer_idx)

    def get_mask_sizes(self, query_length: int, layer_idx: int) -> tuple[int, int]:
        if layer_idx >= len(self.layers):
            return query_length, 0
        return self.layers[layer_idx].get_mask_sizes(query_length)

    def _map_states(self, function: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Map every layer's tensors; no layer changes unless all of them can be mapped."""
        states = [layer.mapped_state(function) for layer in self.layers]
        for layer, state in zip(self.layers, states):
            layer.state = state

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Select/reorder the batch (dim 0) of every state tensor by ``beam_idx [N']``."""
        self._map_states(_select_batch(beam_idx))

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self.reorder_cache(indices)

    def batch_repeat_interleave(self, repeats: int) -> None:
        """Repeat every state ``repeats`` times along the batch (e.g. for beam search)."""
        self._map_states(_repeat_batch(repeats))

    def crop(self, max_length: int) -> None:
        for layer in self.layers:
            layer.crop(max_length)

    def reset(self) -> None:
        """Forget all states and counts; the layer slots are kept."""
        for layer in self.layers:
            layer.reset()
        self._seen_tokens = 0

    def to_legacy_cache(self) -> tuple[dict[str, Any] | None, ...]:
        """The layers' state dicts as a tuple (the same dict objects, not copies)."""
        return tuple(layer.state for layer in self.layers)

    @classmethod
    def from_legacy_cache(
        cls,
        past_key_values: Any = None,
        seen_tokens: int = 0,
        **kwargs: Any,
    ) -> Cache:
        """A cache from a tuple/list of per-layer state dicts (``None`` for an empty layer).

        A ``Cache`` is returned as is; an object with ``states`` and ``get_seq_length()``
        (fla's legacy cache) is converted with its token count. Every layer gets
        ``seen_tokens``.
        """
        if isinstance(past_key_values, cls):
            return past_key_values
        if hasattr(past_key_values, "states"):
            seen_tokens = past_key_values.get_seq_length()
            past_key_values = past_key_values.states
        if past_key_values is not None and not isinstance(past_key_values, (tuple, list)):
            raise TypeError(
                "past_key_values must be a Cache or a tuple/list of per-layer state dicts, "
                f"got {type(past_key_values).__name__}"
            )
        cache = cls(seen_tokens=seen_tokens, **kwargs)
        for state in past_key_values or ():
            layer = FLALayer()
            if state is not None:
                if not isinstance(state, dict):
                    raise TypeError(f"each layer state must be a dict, got {type(state).__name__}")
                _check_attn_state(state.get("attn_state"))
                layer.state = {**dict.fromkeys(STATE_KEYS), **state}
            layer._seen_tokens = int(seen_tokens)
            cache.layers.append(layer)
        return cache


FLACache = Cache

__all__ = ["Cache", "FLACache", "FLALayer"]
