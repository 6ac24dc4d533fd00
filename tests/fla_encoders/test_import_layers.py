"""fla_encoders' layers import only downward, and never fla or triton."""

from pathlib import Path

import fla_encoders
from tests.import_graph import upward_imports

LAYERS = [  # bottom to top
    ("nn", ["fla_encoders.nn"]),
    ("registry", ["fla_encoders.registry"]),
    ("encoders", ["fla_encoders.encoders"]),
    ("model", ["fla_encoders.model"]),
    ("data", ["fla_encoders.data"]),
    ("evaluation", ["fla_encoders.evaluation"]),
    ("training", ["fla_encoders.training"]),
    ("experiments", ["fla_encoders.experiments"]),
    ("cli", ["fla_encoders.cli", "fla_encoders.__main__", "fla_encoders"]),
    ("contrib", ["fla_encoders.contrib"]),  # beside cli: neither imports the other
]


def test_each_layer_imports_only_the_layers_below_it():
    package = Path(fla_encoders.__file__).parent
    assert upward_imports(package, LAYERS, forbidden=["fla", "triton"]) == []


def test_the_check_sees_an_upward_import(tmp_path):
    package = tmp_path / "fla_encoders"
    (package / "nn").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "nn" / "__init__.py").write_text("")
    (package / "nn" / "bad.py").write_text("def f():\n    from ..model import head\n")
    (package / "nn" / "worse.py").write_text("import triton\n")
    problems = upward_imports(package, LAYERS, forbidden=["fla", "triton"])
    assert len(problems) == 2
    assert "fla_encoders.nn.bad (layer nn) imports fla_encoders.model.head" in problems[0]
    assert "triton" in problems[1]
