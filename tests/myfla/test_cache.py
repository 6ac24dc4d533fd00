"""myfla.models.Cache: per-layer states and counts, attention windows, beam search, legacy form."""

from dataclasses import dataclass

import pytest
import torch

from myfla.models import Cache
from myfla.models.utils import Cache as UtilsCache
from tests.golden import fixture_paths, load


def gdn_like_state(batch=2, seed=0):
    torch.manual_seed(seed)
    recurrent = torch.randn(batch, 4, 32, 16)
    conv = (torch.randn(batch, 64, 4), torch.randn(batch, 64, 4), torch.randn(batch, 128, 4))
    return recurrent, conv


def test_update_and_index():
    assert Cache is UtilsCache
    cache = Cache()
    recurrent, conv = gdn_like_state()
    state = cache.update(recurrent_state=recurrent, conv_state=conv, layer_idx=0, offset=50)
    assert cache[0] is state and set(state) == {
        "recurrent_state",
        "attn_state",
        "conv_state",
        "ffn_state",
    }
    assert state["recurrent_state"] is recurrent and state["conv_state"] is conv
    assert state["attn_state"] is None and state["ffn_state"] is None
    assert len(cache) == 1 and cache.get_seq_length() == 50

    # None keeps the stored state; each call counts its offset (None counts 1)
    new_recurrent, _ = gdn_like_state(seed=1)
    cache.update(recurrent_state=new_recurrent, layer_idx=0, offset=None)
    assert cache[0]["recurrent_state"] is new_recurrent and cache[0]["conv_state"] is conv
    assert cache.get_seq_length(0) == 51


def test_layers_count_their_own_tokens():
    cache = Cache()
    cache.update(recurrent_state=torch.zeros(1), layer_idx=2, offset=7)
    assert len(cache) == 3 and cache[0] is None and cache[1] is None
    assert [cache.get_seq_length(i) for i in range(4)] == [0, 0, 7, 0]
    cache.update(recurrent_state=torch.zeros(1), layer_idx=0, offset=4)
    assert cache.get_seq_length(0) == 4 and cache.get_seq_length(2) == 7
    assert cache.get_seq_length(None) == 4
    assert list(cache) == [cache[0], None, cache[2]]


@pytest.mark.parametrize(
    "path", fixture_paths("gdn_eval_cache", "gla_eval_cache"), ids=lambda p: p.stem
)
def test_seq_length_follows_fla_fixture(path):
    """A layer updating once per step with offset = T reproduces fla's stored seq_length."""
    cache = Cache()
    for step in load(path)["steps"]:
        expected = step["cache"]
        seq_len = step["inputs"]["hidden_states"].shape[1]
        conv_state = tuple(expected["conv_state"])
        cache.update(
            recurrent_state=expected["recurrent_state"],
            conv_state=conv_state,
            layer_idx=0,
            offset=seq_len,
        )
        assert cache.get_seq_length(0) == expected["seq_length"]
        assert cache[0]["conv_state"] is conv_state


def kv(length, batch=2, seed=0):
    torch.manual_seed(seed)
    return torch.randn(batch, length, 3), torch.randn(batch, length, 3)


def test_attention_states_append_without_window():
    cache = Cache()
    first, second = kv(4), kv(2, seed=1)
    cache.update(attn_state=first, layer_idx=0, offset=99)
    state = cache.update(attn_state=second, layer_idx=0)
    assert isinstance(state["attn_state"], tuple)
    for got, a, b in zip(state["attn_state"], first, second):
        assert torch.equal(got, torch.cat([a, b], 1))
    assert cache.get_seq_length() == 6, "attention inputs count their own length, not offset"


def test_attention_window_keeps_last_steps():
    cache = Cache()
    chunks = [kv(5, seed=0), kv(2, seed=1), kv(1, seed=2), kv(7, seed=3)]
    cache.update(attn_state=chunks[0], layer_idx=0, cache_kwargs={"window_size": 4})
    assert torch.equal(cache[0]["attn_state"][0], chunks[0][0][:, -4:])
    for n, chunk in enumerate(chunks[1:], start=2):
        cache.update(attn_state=chunk, layer_idx=0)  # the window size is remembered
        expected = torch.cat([c[0] for c in chunks[:n]], 1)[:, -4:]
        assert torch.equal(cache[0]["attn_state"][0], expected)
    assert cache.get_seq_length() == 15
    assert cache.get_mask_sizes(1, layer_idx=0) == (4, 12)
    assert cache.get_mask_sizes(3, layer_idx=5) == (3, 0)
    # an empty input leaves the window as it is
    before = cache[0]["attn_state"]
    cache.update(attn_state=kv(0), layer_idx=0)
    assert cache[0]["attn_state"] is before and cache.get_seq_length() == 15


@dataclass
class Extra:
    state: torch.Tensor
    step: int


def test_reorder_select_and_repeat_batch():
    cache = Cache()
    recurrent, conv = gdn_like_state(batch=3)
    cache.update(recurrent_state=recurrent, conv_state=conv, layer_idx=0)
    cache.update(
        attn_state=[torch.arange(3.0).view(3, 1, 1)],
        ffn_state={"x": Extra(torch.arange(3.0), 5)},
        layer_idx=1,
    )
    beam = torch.tensor([2, 0, 0])
    cache.reorder_cache(beam)
    assert torch.equal(cache[0]["recurrent_state"], recurrent[beam])
    assert all(torch.equal(c, o[beam]) for c, o in zip(cache[0]["conv_state"], conv))
    assert isinstance(cache[0]["conv_state"], tuple)
    assert cache[1]["attn_state"][0].flatten().tolist() == [2.0, 0.0, 0.0]
    assert cache[1]["ffn_state"]["x"].state.tolist() == [2.0, 0.0, 0.0]
    assert cache[1]["ffn_state"]["x"].step == 5

    cache.batch_select_indices(torch.tensor([1]))
    assert cache[0]["recurrent_state"].shape[0] == 1
    cache.batch_repeat_interleave(2)
    assert torch.equal(cache[0]["recurrent_state"], recurrent[[0, 0]])
    assert cache.get_seq_length(0) == 1


def test_unknown_state_objects_cannot_be_reordered():
    cache = Cache()
    cache.update(ffn_state=object(), layer_idx=0)
    with pytest.raises(NotImplementedError, match="object"):
        cache.reorder_cache(torch.tensor([0]))


def test_legacy_round_trip():
    cache = Cache()
    recurrent, conv = gdn_like_state()
    cache.update(recurrent_state=recurrent, conv_state=conv, layer_idx=0, offset=9)
    cache.update(recurrent_state=recurrent * 2, layer_idx=1, offset=9)
    legacy = cache.to_legacy_cache()
    assert isinstance(legacy, tuple) and legacy[0] is cache[0]
    rebuilt = Cache.from_legacy_cache(legacy, seen_tokens=cache.get_seq_length())
    assert len(rebuilt) == 2 and rebuilt.get_seq_length(1) == 9
    assert rebuilt[0]["conv_state"] is conv and torch.equal(
        rebuilt[1]["recurrent_state"], recurrent * 2
    )
    rebuilt.update(recurrent_state=recurrent, layer_idx=0, offset=1)
    assert rebuilt.get_seq_length(0) == 10 and cache.get_seq_length(0) == 9
    assert Cache.from_legacy_cache(cache) is cache
    assert len(Cache.from_legacy_cache(None)) == 0
    partial = Cache.from_legacy_cache(({"recurrent_state": recurrent}, None))
    assert partial[0]["conv_state"] is None and partial[1] is None


def test_from_legacy_object_with_states():
    class Legacy:
        states = [
            {
                "recurrent_state": torch.zeros(1),
                "attn_state": None,
                "conv_state": None,
                "ffn_state": None,
            }
        ]

        def get_seq_length(self):
            return 12

    cache = Cache.from_legacy_cache(Legacy())
    assert cache.get_seq_length(0) == 12 and len(cache) == 1


def test_reset_and_crop():
    cache = Cache()
    cache.update(recurrent_state=torch.zeros(1), layer_idx=1, offset=3)
    cache.reset()
    assert len(cache) == 2 and cache[1] is None and cache.get_seq_length(1) == 0
    cache.update(attn_state=kv(6), layer_idx=0)
    cache.crop(4)
    assert cache[0]["attn_state"][0].shape[1] == 4 and cache.get_seq_length() == 4
    cache.crop(-1)
    assert cache.get_seq_length() == 3
    cache.update(recurrent_state=torch.zeros(1), layer_idx=0)
    with pytest.raises(NotImplementedError, match="rolled back"):
        cache.crop(1)


def test_errors_name_the_argument():
    cache = Cache()
    with pytest.raises(TypeError, match="layer_idx"):
        cache.update(recurrent_state=torch.zeros(1), layer_idx=None)
    with pytest.raises(TypeError, match="layer_idx"):
        cache.update(recurrent_state=torch.zeros(1), layer_idx=1.0)
    with pytest.raises(ValueError, match="layer_idx"):
        cache.update(recurrent_state=torch.zeros(1), layer_idx=-1)
    with pytest.raises(ValueError, match="attn_state"):
        cache.update(attn_state=torch.zeros(1, 2, 3), layer_idx=0)
    with pytest.raises(TypeError, match="cache_kwargs"):
        cache.update(recurrent_state=torch.zeros(1), cache_kwargs=4)
    with pytest.raises(ValueError, match="window_size"):
        cache.update(attn_state=kv(2), cache_kwargs={"window_size": 0})
    with pytest.raises(ValueError, match="offset"):
        cache.update(recurrent_state=torch.zeros(1), offset=-2)
    with pytest.raises(KeyError, match="layer_idx 3"):
        cache[3]
    with pytest.raises(TypeError, match="past_key_values"):
        Cache.from_legacy_cache({"recurrent_state": torch.zeros(1)})
    with pytest.raises(ValueError, match="seen_tokens"):
        Cache(seen_tokens=-1)
