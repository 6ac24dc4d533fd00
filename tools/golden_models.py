"""Golden fixtures of fla 0.6.0's language models: GatedDeltaNet, GLA and RWKV7 at tiny size.

Runs on a CUDA machine with flash-linear-attention / fla-core 0.6.0 and transformers importable
(the format and conventions of shared/tools/golden/make_golden.py). Writes one torch file per
case into OUTDIR and ``index.json`` (rewritten after every case, so a run cut short by
``timeout`` keeps what it finished). Each file holds only tensors, dicts, lists, numbers, strings
and ``None``, for ``torch.load(path, weights_only=True)``:

    name, kind='model', model_type, what, config (the config's JSON dict), state_dict (float32,
    every parameter perturbed by Gaussian noise after construction), input_ids [B, T],
    attention_mask [B, T] or None (left padding), logits [B, T, vocab] (float32),
    generate_kwargs, generated [B, T + 16] (greedy), generated_logits [B, 16, vocab] (the logits
    each greedy step chose from), fla_version, torch_version, transformers_version, device

Usage (on the GPU machine):
    TRITON_F32_DEFAULT=ieee GOLDEN_ONE_CONFIG=1 python tools/golden_models.py OUTDIR [CASE_REGEX]
Check the script and the format here, without fla or a GPU (myfla's models on the CPU):
    python tools/golden_models.py --dry-run OUTDIR [CASE_REGEX]

Not part of any distribution; nothing imports it.
"""

import json
import os
import re
import sys
import time
import traceback

import torch

PERTURB = 0.02
NEW_TOKENS = 16
VOCAB = 256
# (name, model_type, config overrides, prompt length, left padding of row 0, what); the cases run
# in this order, the short ones first: the long prompts compile fla's chunk kernels.
TINY = {
    "gated_deltanet": dict(hidden_size=64, num_hidden_layers=2, head_dim=16, num_heads=4),
    "gla": dict(hidden_size=64, num_hidden_layers=2, num_heads=4),
    "rwkv7": dict(hidden_size=64, num_hidden_layers=2, head_dim=16),
}
CASES = [
    ("gdn_prompt", "gated_deltanet", {}, 24, 0, "no padding, prompt <= 64: recurrent prefill"),
    ("gla_prompt", "gla", {}, 24, 0, "no padding, prompt <= 64: recurrent prefill"),
    ("rwkv7_prompt", "rwkv7", {}, 24, 0, "no padding, prompt < 64: recurrent prefill"),
    ("gdn_leftpad", "gated_deltanet", {}, 24, 7, "left padding of row 0"),
    ("gla_leftpad", "gla", {"use_short_conv": True}, 24, 7, "left padding, short conv"),
    ("rwkv7_leftpad", "rwkv7", {}, 24, 7, "left padding of row 0"),
    ("gdn_long", "gated_deltanet", {}, 80, 0, "prompt > 64: chunk prefill"),
    ("gla_long", "gla", {}, 80, 0, "prompt > 64: chunk prefill"),
    ("rwkv7_long", "rwkv7", {}, 80, 0, "prompt >= 64: chunk prefill"),
]


def parse_args(argv):
    dry_run = "--dry-run" in argv
    args = [a for a in argv if a != "--dry-run"]
    if not args:
        raise SystemExit(__doc__)
    return dry_run, args[0], (args[1] if len(args) > 1 else ".")


def load_library(dry_run):
    """``(model classes by model_type, library version, device)``: fla on CUDA, or myfla."""
    if dry_run:
        import myfla
        from myfla import models

        version, device = f"myfla {myfla.__version__} (dry run)", "cpu"
    else:
        os.environ.setdefault("TRITON_F32_DEFAULT", "ieee")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        import triton

        if os.environ.get("GOLDEN_ONE_CONFIG") == "1":  # one autotune config per kernel
            autotune = triton.autotune

            def first_config(configs, key, **kwargs):
                return autotune(configs=configs[:1], key=key, **kwargs)

            triton.autotune = first_config
        import fla
        from fla import models

        version, device = fla.__version__, "cuda"
    classes = {
        "gated_deltanet": (models.GatedDeltaNetConfig, models.GatedDeltaNetForCausalLM),
        "gla": (models.GLAConfig, models.GLAForCausalLM),
        "rwkv7": (models.RWKV7Config, models.RWKV7ForCausalLM),
    }
    return classes, version, device


def cpu(tree):
    if isinstance(tree, torch.Tensor):
        return tree.detach().to("cpu").clone()
    if isinstance(tree, dict):
        return {key: cpu(value) for key, value in tree.items()}
    return tree


def prompt(seed, length, padding):
    """``(input_ids [2, T], attention_mask [2, T] or None)``; row 0 left-padded by ``padding``."""
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, VOCAB, (2, length), generator=generator)
    if not padding:
        return input_ids, None
    mask = torch.ones(2, length, dtype=torch.long)
    mask[0, :padding] = 0
    return input_ids.masked_fill(mask == 0, 0), mask


def model_case(classes, device, seed, model_type, overrides, length, padding):
    config_class, model_class = classes[model_type]
    config = config_class(vocab_size=VOCAB, pad_token_id=0, **TINY[model_type], **overrides)
    torch.manual_seed(seed)
    model = model_class(config).float()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(PERTURB * torch.randn_like(parameter))
    model.to(device).eval()
    input_ids, mask = prompt(seed, length, padding)
    inputs = {"input_ids": input_ids.to(device)}
    if mask is not None:
        inputs["attention_mask"] = mask.to(device)
    generate_kwargs = {"do_sample": False, "max_new_tokens": NEW_TOKENS, "pad_token_id": 0}
    with torch.no_grad():
        logits = model(**inputs).logits
        generated = model.generate(
            **inputs, **generate_kwargs, output_logits=True, return_dict_in_generate=True
        )
    return {
        "kind": "model",
        "model_type": model_type,
        "config": json.loads(config.to_json_string(use_diff=False)),
        "state_dict": cpu(model.state_dict()),
        "input_ids": input_ids,
        "attention_mask": mask,
        "logits": cpu(logits.float()),
        "generate_kwargs": generate_kwargs,
        "generated": cpu(generated.sequences),
        "generated_logits": cpu(torch.stack(generated.logits, 1).float()),
    }


def main(argv):
    dry_run, out, only = parse_args(argv)
    os.makedirs(out, exist_ok=True)
    classes, version, device = load_library(dry_run)
    import transformers

    about = {
        "fla_version": str(version),
        "torch_version": str(torch.__version__),
        "transformers_version": str(transformers.__version__),
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
    }
    index = []
    for seed, (name, model_type, overrides, length, padding, what) in enumerate(CASES, 100):
        if not re.search(only, name):
            continue
        start = time.time()
        try:
            case = model_case(classes, device, seed, model_type, overrides, length, padding)
            path = os.path.join(out, f"{name}.pt")
            torch.save({"name": name, "what": what, **case, **about}, path)
            torch.load(path, weights_only=True)  # the format check: plain data only
            index.append({"name": name, "kind": "model", "what": what})
            print(f"ok   {name} {time.time() - start:.1f}s", flush=True)
        except Exception as error:  # one broken case must not lose the others
            traceback.print_exc()
            index.append({"name": name, "error": f"{type(error).__name__}: {error}"})
            print(f"FAIL {name} {time.time() - start:.1f}s: {error}", flush=True)
        with open(os.path.join(out, "index.json"), "w") as file:
            json.dump({"set": "models", **about, "cases": index}, file, indent=1)
    print("done", sum("error" not in case for case in index), "ok of", len(index))


if __name__ == "__main__":
    main(sys.argv[1:])
