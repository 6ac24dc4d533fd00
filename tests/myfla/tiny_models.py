"""Tiny random models of the three families, for the model and generate tests."""

import torch

VOCAB = 64
TINY = {
    "gated_deltanet": dict(hidden_size=32, num_hidden_layers=2, head_dim=8, num_heads=2),
    "gla": dict(hidden_size=32, num_hidden_layers=2, num_heads=2),
    "rwkv7": dict(
        hidden_size=32, num_hidden_layers=2, head_dim=8, decay_low_rank_dim=8,
        gate_low_rank_dim=8, a_low_rank_dim=8, v_low_rank_dim=8,
    ),
}  # fmt: skip
FAMILIES = sorted(TINY)


def tiny_model(model_type: str, seed: int = 0, **overrides):
    """A float32 causal LM in eval mode (no end token: it generates every step), every parameter
    perturbed from its initialisation."""
    from transformers import AutoConfig, AutoModelForCausalLM

    import myfla.models  # noqa: F401  (registers the models)

    config = AutoConfig.for_model(
        model_type, vocab_size=VOCAB, pad_token_id=0, eos_token_id=None,
        **{**TINY[model_type], **overrides},
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return model.eval()


def left_padded_prompt(seed: int = 0, length: int = 7, padding: int = 3):
    """``(input_ids [2, length], attention_mask)``, row 0 left-padded by ``padding``."""
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, VOCAB, (2, length), generator=generator)
    mask = torch.ones(2, length, dtype=torch.long)
    mask[0, :padding] = 0
    return input_ids.masked_fill(mask == 0, 0), mask
