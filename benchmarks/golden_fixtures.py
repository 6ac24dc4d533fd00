"""The golden fixtures made with the official fla 0.6.0 (shared/golden/README.md): where they
are, how to load them and how far a result may be from them.

Shared by the golden tests (through tests/golden.py) and benchmarks/golden_accuracy.py.
"""

import os
from pathlib import Path
from typing import Dict, List, Optional

import torch

FIXTURE_SET = Path("fla-0.6.0") / "dev"
# Cases this project made with shared/tools/golden (same generator, same format), kept in the repo.
REPO = Path(__file__).resolve().parents[1]
PROJECT_FIXTURES = REPO / "tests" / "fixtures" / "fla-0.6.0" / "extra"

# Bounds from shared/golden/README.md, keyed by (what is compared, dtype myfla runs in).
TOLERANCES: Dict[str, Dict[torch.dtype, float]] = {
    "op_vs_triton": {torch.float64: 1e-4, torch.float32: 1e-3},
    "op_vs_fp64": {torch.float64: 1e-8, torch.float32: 1e-3},
    "layer_vs_triton": {torch.float64: 1e-3, torch.float32: 2e-3},
    "layer_vs_fp64": {torch.float64: 1e-8, torch.float32: 1e-3},
}


def golden_dir() -> Optional[Path]:
    """The fixture folder: ``$MYFLA_GOLDEN_DIR`` if set, else ``shared/golden`` beside the repo."""
    env = os.environ.get("MYFLA_GOLDEN_DIR")
    root = Path(env) if env else REPO.parent / "shared" / "golden"
    folder = root / FIXTURE_SET
    return folder if folder.is_dir() else None


def fixture_paths(*prefixes: str) -> List[Path]:
    """Every ``.pt`` fixture, shared and the project's own, whose name starts with ``prefixes``."""
    folders = [f for f in (golden_dir(), PROJECT_FIXTURES) if f is not None and f.is_dir()]
    paths = (p for folder in folders for p in folder.glob("*.pt"))
    return sorted((p for p in paths if p.name.startswith(prefixes)), key=lambda p: p.name)


def load(path: Path) -> dict:
    return torch.load(path, weights_only=True, map_location="cpu")


def rel_err(mine: torch.Tensor, ref: torch.Tensor) -> float:
    """``||mine - ref|| / ||ref||`` over the whole tensor, in float64."""
    mine, ref = mine.detach().cpu().double(), ref.detach().cpu().double()
    return ((mine - ref).norm() / ref.norm().clamp_min(1e-300)).item()


def cast_tree(x, dtype: torch.dtype, device="cpu"):
    """Tensors in nested dicts/lists/tuples moved to ``device``, floating ones cast to ``dtype``."""
    if isinstance(x, torch.Tensor):
        return x.to(device, dtype) if x.is_floating_point() else x.to(device)
    if isinstance(x, dict):
        return {k: cast_tree(v, dtype, device) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(cast_tree(v, dtype, device) for v in x)
    return x
