"""In-code registration through the ``register(name)`` decorator, and the errors of ``create``."""

import pytest

from fla_encoders import UnknownEncoderError
from tests.fla_encoders.encoders import LastStep, MeanPool, NoOutputDim, NotAnEncoder


def test_register_create_and_list(registry):
    assert registry.register("last")(LastStep) is LastStep
    registry.register("mean")(MeanPool)
    assert registry.list_available() == ["last", "mean"]
    encoder = registry.create("mean", n_features=2, hidden_size=6)
    assert type(encoder) is MeanPool and encoder.output_dim == 6
    assert registry.get("last") is LastStep


def test_register_works_as_a_class_decorator(registry):
    @registry.register("decorated")
    class Decorated(LastStep):
        pass

    assert isinstance(registry.create("decorated"), Decorated)


@pytest.mark.parametrize("name", ["", " padded", 3, None])
def test_register_rejects_a_bad_name(registry, name):
    with pytest.raises(ValueError, match=r"register\(name\): expected a non-empty str"):
        registry.register(name)


@pytest.mark.parametrize("obj", [NotAnEncoder, LastStep(), len])
def test_register_rejects_what_is_not_an_encoder_class(registry, obj):
    with pytest.raises(TypeError, match=r"register\('x'\): expected a subclass of FLAEncoderStr"):
        registry.register("x")(obj)


def test_register_refuses_a_taken_name_unless_override(registry):
    registry.register("enc")(LastStep)
    with pytest.raises(ValueError, match=r"provided by in-code \(.*:LastStep\).*override=True"):
        registry.register("enc")(MeanPool)
    assert registry.get("enc") is LastStep
    registry.register("enc", override=True)(MeanPool)
    assert registry.get("enc") is MeanPool


def test_registering_the_same_class_again_is_not_a_collision(registry):
    registry.register("enc")(LastStep)
    registry.register("enc")(LastStep)
    assert registry.get("enc") is LastStep


def test_unknown_name_lists_the_available_names_and_the_closest(registry):
    for name in ("gated_deltanet", "gla", "rwkv7"):
        registry.register(name)(LastStep)
    with pytest.raises(UnknownEncoderError) as info:
        registry.create("gated_delta")
    message = str(info.value)
    assert "unknown encoder 'gated_delta'" in message
    assert "closest: gated_deltanet" in message
    assert "available: gated_deltanet, gla, rwkv7" in message


def test_unknown_name_with_nothing_available_names_the_group(registry):
    with pytest.raises(UnknownEncoderError, match=f"no encoder is registered.*{registry.group}"):
        registry.get("rwkv7")


def test_a_name_must_be_a_string(registry):
    with pytest.raises(TypeError, match="encoder name: expected a str, got 7"):
        registry.create(7)


def test_create_requires_an_integer_output_dim(registry):
    registry.register("no_dim")(NoOutputDim)
    with pytest.raises(TypeError, match=r"'no_dim' \(.*:NoOutputDim\) must set an integer `outp"):
        registry.create("no_dim")
