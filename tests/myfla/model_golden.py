"""The check of one model fixture (tools/golden_models.py): the same config and weights in
myfla give fla's logits and fla's greedy tokens."""

import torch

from tests.golden import TOLERANCES, rel_err

BOUND = TOLERANCES["layer_vs_triton"][torch.float32]


def build_model(case: dict):
    """myfla's causal LM from the fixture's config, through transformers' Auto classes, with the
    fixture's state_dict loaded strictly."""
    from transformers import AutoConfig, AutoModelForCausalLM

    import myfla.models  # noqa: F401  (registers the models)

    config = dict(case["config"])
    config = AutoConfig.for_model(config.pop("model_type"), **config)
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(case["state_dict"], strict=True)
    return model.float().eval()


def check_case(case: dict) -> None:
    model = build_model(case)
    inputs = {"input_ids": case["input_ids"]}
    if case["attention_mask"] is not None:
        inputs["attention_mask"] = case["attention_mask"]
    with torch.no_grad():
        logits = model(**inputs).logits
        generated = model.generate(
            **inputs, **case["generate_kwargs"], output_logits=True, return_dict_in_generate=True
        )
    errors = {"logits": rel_err(logits, case["logits"])}
    steps = torch.stack(generated.logits, 1)
    if steps.shape == case["generated_logits"].shape:
        errors["greedy step logits"] = rel_err(steps, case["generated_logits"])
    assert all(error <= BOUND for error in errors.values()), (case["name"], errors)
    assert torch.equal(generated.sequences, case["generated"]), (
        case["name"],
        generated.sequences[:, -16:],
        case["generated"][:, -16:],
    )
