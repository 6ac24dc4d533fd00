"""myfla's models against fla 0.6.0's (tools/golden_models.py made the fixtures on a GPU):
strict state_dict load, logits within the layer bound (float32: relative error <= 2e-3, as
shared/golden/README.md), the same 16 greedy tokens."""

from pathlib import Path

import pytest

from tests.golden import load

pytest.importorskip("transformers", reason="the models need transformers (myfla[hf])")

from tests.myfla.model_golden import check_case  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fla-0.6.0" / "models"
PATHS = sorted(FIXTURES.glob("*.pt")) if FIXTURES.is_dir() else []

if not PATHS:
    pytest.skip(
        f"no model fixtures in {FIXTURES}: run tools/golden_models.py on a GPU with fla 0.6.0",
        allow_module_level=True,
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_model_matches_fla(path):
    check_case(load(path))
