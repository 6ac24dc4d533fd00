"""The experiment configurations: data files, loaded by name or path, overridable."""

import json

import pytest
import torch

from fla_encoders.experiments import apply_overrides, build_model, config_names, load_config
from tests.fla_encoders.builtin import N_FEATURES, require

LEVELS = {
    "baseline_gru": "gru",
    "baseline_linear": "linear",
    "baseline_transformer": "transformer",
    "level1_rwkv7": "rwkv7",
    "level2_gated_deltanet": "gated_deltanet",
    "level3_dual": "dual",
}


def test_the_built_in_configurations_differ_only_in_the_encoder():
    assert config_names() == sorted(LEVELS)
    models = {name: load_config(name)["model"] for name in LEVELS}
    for name, encoder in LEVELS.items():
        assert models[name]["encoder_name"] == encoder
    rest = [
        {k: v for k, v in m.items() if k not in ("encoder_name", "encoder_kwargs")}
        for m in models.values()
    ]
    assert all(r == rest[0] for r in rest)
    assert models["level2_gated_deltanet"]["encoder_kwargs"]["allow_neg_eigval"] is True
    assert models["level3_dual"]["encoder_kwargs"]["fusion_mode"] == "gated"


@pytest.mark.parametrize("name", sorted(LEVELS))
def test_each_configuration_builds_a_working_model(name):
    require(LEVELS[name])
    config = load_config(name, ["model.hidden_size=64", "model.prediction_hidden=[8]"])
    net = build_model(config, n_features=N_FEATURES, num_targets=6)
    assert net(torch.randn(2, 5, N_FEATURES))[0].shape == (2, 6)


def test_overrides_parse_json_values_and_create_objects():
    config = apply_overrides(
        {"model": {"encoder_kwargs": {}}},
        ["model.encoder_kwargs.fusion_mode=concat", "model.dropout=0.2", "training.epochs=3"],
    )
    assert config == {
        "model": {"encoder_kwargs": {"fusion_mode": "concat"}, "dropout": 0.2},
        "training": {"epochs": 3},
    }
    with pytest.raises(ValueError, match="dotted.key=value"):
        apply_overrides({}, ["no_equals_sign"])


def test_a_configuration_file_by_path(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"model": {"encoder_name": "gru", "hidden_size": 8}}))
    assert load_config(str(path))["model"]["hidden_size"] == 8


def test_unknown_names_and_keys_are_refused():
    with pytest.raises(FileNotFoundError, match="path_or_name"):
        load_config("level9_nothing")
    with pytest.raises(ValueError, match="unknown keys"):
        build_model({"model": {"encoder_name": "gru", "hiden_size": 8}}, 3, 1)
