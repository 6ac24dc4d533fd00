"""myfla's three models as fla 0.6.0 has them: config fields and defaults, parameter names,
the fused/plain options giving the same numbers, the loss, caching, saving and loading."""

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("transformers", reason="the models need transformers (myfla[hf])")

import myfla  # noqa: E402
from myfla import models  # noqa: E402
from myfla.models import Cache  # noqa: E402
from tests.myfla.tiny_models import FAMILIES, VOCAB, left_padded_prompt, tiny_model  # noqa: E402

# fla 0.6.0's defaults (its configuration_*.py), written out.
FLA_DEFAULTS = {
    models.GatedDeltaNetConfig: dict(
        model_type="gated_deltanet", attn_mode="chunk", hidden_size=2048, expand_v=2.0,
        use_gate=True, use_short_conv=True, allow_neg_eigval=False, conv_size=4, head_dim=256,
        num_heads=6, num_v_heads=None, hidden_ratio=4, intermediate_size=None,
        hidden_act="swish", num_hidden_layers=21, norm_eps=1e-6, fuse_norm=True,
        fuse_swiglu=True, fuse_cross_entropy=True, use_l2warp=False, vocab_size=32000,
        output_gate_activation="swish", bos_token_id=1, eos_token_id=2,
    ),
    models.GLAConfig: dict(
        model_type="gla", hidden_size=2048, expand_k=0.5, expand_v=1.0, num_hidden_layers=24,
        num_heads=4, num_kv_heads=None, feature_map=None, attn_mode="chunk",
        use_short_conv=False, use_output_gate=True, clamp_min=None, norm_eps=1e-6,
        use_gk=True, use_gv=False, elementwise_affine=True, vocab_size=32000,
    ),
    models.RWKV7Config: dict(
        model_type="rwkv7", hidden_size=2048, num_hidden_layers=24, head_dim=64, num_heads=32,
        decay_low_rank_dim=64, gate_low_rank_dim=128, a_low_rank_dim=64, v_low_rank_dim=16,
        hidden_act="sqrelu", norm_first=True, norm_bias=True, norm_eps=1e-5, use_l2warp=True,
        value_dim=[2048] * 24, vocab_size=32000,
    ),
}  # fmt: skip
# Names outside the layers' own (those are held to fla's by the layer fixtures).
BLOCK_KEYS = {
    "gated_deltanet": {"attn_norm.weight", "mlp_norm.weight", "mlp.gate_proj.weight",
                       "mlp.up_proj.weight", "mlp.down_proj.weight"},
    "rwkv7": {"attn_norm.weight", "attn_norm.bias", "ffn_norm.weight", "ffn_norm.bias",
              "ffn.x_k", "ffn.key.weight", "ffn.value.weight"},
}  # fmt: skip
BLOCK_KEYS["gla"] = BLOCK_KEYS["gated_deltanet"]


@pytest.mark.parametrize("config_class", FLA_DEFAULTS, ids=lambda c: c.model_type)
def test_config_defaults_are_flas(config_class):
    config = config_class()
    for name, value in FLA_DEFAULTS[config_class].items():
        assert getattr(config, name) == value, name


def test_options_myfla_does_not_have_are_refused():
    with pytest.raises(NotImplementedError, match="attn"):
        models.GLAConfig(attn={"layers": [0], "num_heads": 2})
    with pytest.raises(NotImplementedError, match="attnres_block_size"):
        models.GatedDeltaNetConfig(attnres_block_size=2)
    with pytest.raises(ValueError, match="fuse_linear_cross_entropy"):
        models.RWKV7Config(fuse_cross_entropy=True, fuse_linear_cross_entropy=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_parameter_names_are_flas(family):
    model = tiny_model(family)
    keys = set(model.state_dict())
    outer = {k for k in keys if not k.startswith("model.layers.")}
    expected = {"model.embeddings.weight", "model.norm.weight", "lm_head.weight"}
    assert outer == expected | ({"model.norm.bias"} if family == "rwkv7" else set())
    for i in range(model.config.num_hidden_layers):
        prefix = f"model.layers.{i}."
        block = {k[len(prefix) :] for k in keys if k.startswith(prefix)}
        block = {k for k in block if not k.startswith("attn.") and not k.startswith("pre_norm.")}
        assert block == BLOCK_KEYS[family]
    if family == "rwkv7":
        assert {"model.layers.0.pre_norm.weight", "model.layers.0.pre_norm.bias"} <= keys


@pytest.mark.parametrize(
    "family, options",
    [
        ("gated_deltanet", dict(fuse_norm=False, fuse_swiglu=False)),
        ("gla", dict(fuse_swiglu=False)),  # GLA's fuse_norm renames its norm, as in fla
        ("rwkv7", dict(fuse_norm=False)),
    ],
)
def test_fused_options_map_to_the_same_numbers(family, options):
    fused, plain = tiny_model(family), tiny_model(family, **options)
    plain.load_state_dict(fused.state_dict(), strict=True)
    input_ids, mask = left_padded_prompt()
    with torch.no_grad():
        expected = fused(input_ids, attention_mask=mask).logits
        got = plain(input_ids, attention_mask=mask).logits
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_cached_steps_equal_one_pass(family):
    model = tiny_model(family)
    input_ids, _ = left_padded_prompt(padding=0, length=9)
    with torch.no_grad():
        full = model(input_ids).logits
        first = model(input_ids[:, :5], use_cache=True)
        assert isinstance(first.past_key_values, Cache)
        rest = model(input_ids[:, 5:], past_key_values=first.past_key_values, use_cache=True)
    torch.testing.assert_close(torch.cat([first.logits, rest.logits], 1), full)
    assert rest.past_key_values.get_seq_length() == 9


def test_loss_is_next_token_cross_entropy():
    model = tiny_model("gla")
    input_ids, _ = left_padded_prompt(padding=0)
    labels = input_ids.clone()
    labels[0, 2] = -100
    out = model(input_ids, labels=labels)
    expected = F.cross_entropy(out.logits[:, :-1].reshape(-1, VOCAB), labels[:, 1:].reshape(-1))
    torch.testing.assert_close(out.loss, expected)
    summed = model(input_ids, labels=labels, num_items_in_batch=4).loss
    torch.testing.assert_close(summed, expected * (labels[:, 1:] != -100).sum() / 4)
    assert model(input_ids, logits_to_keep=1).logits.shape == (2, 1, VOCAB)


def test_l2warp_changes_only_the_gradient():
    model = tiny_model("rwkv7")
    assert model.config.use_l2warp
    input_ids, _ = left_padded_prompt(padding=0)
    out = model(input_ids, labels=input_ids)
    model.config.use_l2warp = False
    plain = model(input_ids, labels=input_ids)
    torch.testing.assert_close(out.loss, plain.loss)
    (grad,) = torch.autograd.grad(out.loss, model.lm_head.weight)
    (plain_grad,) = torch.autograd.grad(plain.loss, model.lm_head.weight)
    assert not torch.allclose(grad, plain_grad)


def test_rwkv7_layers_keep_their_own_initialisation():
    model = tiny_model("rwkv7")
    for block in model.model.layers:
        assert all(m._in_rwkv_module and m._is_hf_initialized for m in block.attn.modules())
        assert all(m._in_rwkv_module for m in block.ffn.modules())


@pytest.mark.parametrize("family", FAMILIES)
def test_save_and_load_through_the_auto_classes(family, tmp_path):
    from transformers import AutoModelForCausalLM

    model = tiny_model(family)
    model.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert type(loaded) is type(model) and loaded.config.model_type == family
    input_ids, mask = left_padded_prompt()
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(input_ids, attention_mask=mask).logits,
            model(input_ids, attention_mask=mask).logits,
        )


def test_top_level_exports_the_models_as_fla():
    assert myfla.GatedDeltaNetForCausalLM is models.GatedDeltaNetForCausalLM
    assert myfla.RWKV7Model is models.RWKV7Model
    assert not hasattr(myfla, "GLAConfig")  # fla's top level leaves the configs out
