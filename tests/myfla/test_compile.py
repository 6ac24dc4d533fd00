"""The layers under torch.compile(fullgraph=True): no graph break, one graph for every sequence
length of a chunk bucket (dynamic shapes), outputs and gradients as in eager mode."""

import pytest

from benchmarks.autocast_compile_check import LAYERS, compile_errors

# Eager takes the factored in-chunk path where a read on the host shows the decays mild; the
# compiled graph, which reads nothing, takes the exact one: the same numbers up to rounding.
BOUND = 1e-5


def test_a_training_step_traces_to_one_graph():
    """Fast: dynamo and AOT autograd only (no code generation), GatedDeltaNet, 90 and 100 steps."""
    result = compile_errors("GatedDeltaNet", "cpu", True, lengths=(100, 90), backend="aot_eager")
    assert result["compiles"] == 1 and result["error"] < BOUND, result


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_layers_compile_with_inductor(name, training):
    result = compile_errors(name, "cpu", training)
    assert result["compiles"] == 1 and result["error"] < BOUND, result
