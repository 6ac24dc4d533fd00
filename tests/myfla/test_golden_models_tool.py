"""tools/golden_models.py works before it reaches the GPU: its dry run (myfla's models on the
CPU) writes plain-data fixtures in the format that tests/myfla/test_golden_models.py checks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden import load

pytest.importorskip("transformers", reason="the models need transformers (myfla[hf])")

from tests.myfla.model_golden import check_case  # noqa: E402

TOOL = Path(__file__).resolve().parents[2] / "tools" / "golden_models.py"
KEYS = {
    "name", "what", "kind", "model_type", "config", "state_dict", "input_ids", "attention_mask",
    "logits", "generate_kwargs", "generated", "generated_logits", "fla_version",
    "torch_version", "transformers_version", "device",
}  # fmt: skip


def test_dry_run_writes_fixtures_the_test_accepts(tmp_path):
    result = subprocess.run(
        [sys.executable, str(TOOL), "--dry-run", str(tmp_path), "rwkv7_leftpad|gla_prompt"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    index = json.loads((tmp_path / "index.json").read_text())
    assert [case["name"] for case in index["cases"]] == ["gla_prompt", "rwkv7_leftpad"]
    for name in ("gla_prompt", "rwkv7_leftpad"):
        case = load(tmp_path / f"{name}.pt")
        assert set(case) == KEYS
        batch, length = case["input_ids"].shape
        assert batch == 2 and case["logits"].shape == (2, length, case["config"]["vocab_size"])
        assert case["generated"].shape == (2, length + 16)
        check_case(case)
    assert load(tmp_path / "rwkv7_leftpad.pt")["attention_mask"][0, 0] == 0
