"""transformers' generate on myfla's models without passing a cache: greedy, sampling, beam
search and left padding give what recomputing every step without a cache gives."""

import pytest
import torch

pytest.importorskip("transformers", reason="the models need transformers (myfla[hf])")

from myfla.models import Cache  # noqa: E402
from tests.myfla.tiny_models import FAMILIES, left_padded_prompt, tiny_model  # noqa: E402

NEW = 5


def generate(model, inputs, seed=0, **kwargs):
    torch.manual_seed(seed)
    with torch.no_grad():
        return model.generate(**inputs, max_new_tokens=NEW, pad_token_id=0, **kwargs)


def greedy_by_hand(model, input_ids, mask):
    """The greedy continuation, recomputing the whole sequence for each new token."""
    for _ in range(NEW):
        with torch.no_grad():
            logits = model(input_ids, attention_mask=mask, use_cache=False).logits[:, -1]
        input_ids = torch.cat([input_ids, logits.argmax(-1, keepdim=True)], 1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
    return input_ids


@pytest.mark.parametrize("family", FAMILIES)
def test_greedy_with_left_padding_matches_recomputation(family):
    model = tiny_model(family)
    input_ids, mask = left_padded_prompt()
    inputs = {"input_ids": input_ids, "attention_mask": mask}
    cached = generate(model, inputs, do_sample=False)
    assert torch.equal(cached, greedy_by_hand(model, input_ids, mask))
    assert torch.equal(cached, generate(model, inputs, do_sample=False, use_cache=False))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "options",
    [dict(do_sample=True, top_k=20), dict(do_sample=False, num_beams=2)],
    ids=["sampling", "beam_search"],
)
def test_strategies_match_no_cache(family, options):
    model = tiny_model(family, seed=1)
    input_ids, mask = left_padded_prompt(seed=1)
    inputs = {"input_ids": input_ids, "attention_mask": mask}
    cached = generate(model, inputs, **options)
    assert cached.shape == (2, input_ids.shape[1] + NEW)
    assert torch.equal(cached, generate(model, inputs, use_cache=False, **options))


@pytest.mark.parametrize("family", FAMILIES)
def test_generate_returns_the_models_cache(family):
    model = tiny_model(family)
    input_ids, mask = left_padded_prompt()
    with torch.no_grad():
        out = model.generate(
            input_ids, attention_mask=mask, max_new_tokens=NEW, do_sample=False,
            pad_token_id=0, return_dict_in_generate=True,
        )  # fmt: skip
    cache = out.past_key_values
    assert isinstance(cache, Cache) and len(cache) == model.config.num_hidden_layers
    assert cache.get_seq_length() == input_ids.shape[1] + NEW - 1
