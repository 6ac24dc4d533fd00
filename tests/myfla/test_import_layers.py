"""myfla imports only downward: base -> ops -> modules -> layers -> models -> the package itself,
never fla, Triton or fla_encoders; and no op family imports another one."""

from pathlib import Path

import myfla
from tests.import_graph import imports, upward_imports

PACKAGE = Path(myfla.__file__).resolve().parent
LAYERS = [
    ("base", ["myfla.version", "myfla._checks"]),
    ("ops", ["myfla.ops"]),
    ("modules", ["myfla.modules"]),
    ("layers", ["myfla.layers"]),
    ("models", ["myfla.models"]),
    ("package", ["myfla"]),
]
OP_FAMILIES = ["gated_delta_rule", "generalized_delta_rule", "gla", "rwkv7"]


def test_layers_import_only_downward():
    assert upward_imports(PACKAGE, LAYERS, forbidden=["fla", "triton", "fla_encoders"]) == []


def family_of(module: str):
    parts = module.split(".")
    if parts[:2] == ["myfla", "ops"] and len(parts) > 2 and parts[2] in OP_FAMILIES:
        return parts[2]
    return None


def test_op_families_share_only_the_kernels_and_front_end_helpers():
    crossings = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for importer, (path, line, target) in imports(PACKAGE)
        if family_of(importer) and family_of(target) not in (None, family_of(importer))
    ]
    assert crossings == []
