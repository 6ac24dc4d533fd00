"""The panel store: written in chunks of dates, read back by rows, the same windows and the same
trained model as the panel in memory; what it refuses."""

import json

import pytest
import torch

from fla_encoders.cli import main
from fla_encoders.data import PreparedPanel, make_mock_panel
from fla_encoders.data.arrays import ArrayWriter, StoredArray
from fla_encoders.data.config import DataConfig, build_datasets
from fla_encoders.data.store import StoreWriter, open_store, write_store
from fla_encoders.experiments import apply_overrides, load_config, run_experiment

MOCK = {"n_dates": 60, "n_assets": 12, "n_features": 8}
TRAINING = [
    "model.hidden_size=8",
    "model.prediction_hidden=[8]",
    "model.encoder_kwargs.num_layers=1",
    "training.epochs=2",
]


@pytest.fixture(scope="module")
def panel():
    return make_mock_panel(seed=0, **MOCK)


@pytest.fixture(scope="module")
def store(panel, tmp_path_factory):
    """The mock panel as a store, written 7 dates at a time (chunks do not divide the dates)."""
    return write_store(panel, tmp_path_factory.mktemp("store") / "panel.store", dates_per_chunk=7)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal values, NaN where the other has NaN, same dtype and shape."""
    return (
        a.dtype == b.dtype
        and a.shape == b.shape
        and torch.equal(a.isnan(), b.isnan())
        and (
            torch.equal(a.nan_to_num(0.0), b.nan_to_num(0.0))
            if a.is_floating_point()
            else torch.equal(a, b)
        )
    )


def test_the_store_holds_the_prepared_panel(panel, store):
    memory, stored = PreparedPanel(panel), open_store(store)
    for name in ("present", "inputs", "targets", "labels"):
        assert same(getattr(memory, name), getattr(stored, name)[:]), name
    assert stored.panel.dates == panel.dates and stored.panel.assets == panel.assets
    assert stored.panel.target_horizons == panel.target_horizons
    assert same(panel.signal, stored.panel.signal[:])


def test_a_stored_array_is_indexed_as_a_tensor(panel, store):
    tensor, array = PreparedPanel(panel).inputs, open_store(store).inputs
    assets = torch.tensor([3, 0, 7])
    dates = torch.tensor([9, 2, 9, 40])
    for index in (5, -1, slice(3, 11), slice(50, 100), (slice(4, 9), assets), (dates, assets[0])):
        assert same(tensor[index], array[index]), index
    assert same(tensor[dates], array[dates]) and same(tensor[[1, 2, 3]], array[[1, 2, 3]])
    assert same(panel.signal[dates, assets[:1]], open_store(store).panel.signal[dates, assets[:1]])
    with pytest.raises(IndexError):
        array[len(array)]
    with pytest.raises(IndexError):
        array[::2]


def test_numpy_reads_the_stored_arrays(panel, store):
    numpy = pytest.importorskip("numpy")
    inputs = numpy.load(store / "inputs.npy", mmap_mode="r")
    assert inputs.dtype == numpy.float32 and numpy.array_equal(inputs, PreparedPanel(panel).inputs)
    assert numpy.load(store / "present.npy").dtype == numpy.bool_


def test_a_run_on_the_store_is_the_run_on_the_panel_in_memory(store, tmp_path):
    base = load_config("baseline_gru")
    mock = ['data.source="mock"', *(f"data.options.{k}={v}" for k, v in MOCK.items())]
    stored = ['data.source="store"', f"data.options={json.dumps({'path': str(store)})}"]
    results = [
        run_experiment(apply_overrides(base, [*TRAINING, *data]), tmp_path / name)
        for name, data in (("memory", mock), ("store", stored))
    ]
    for result in results:
        result.pop("seconds")
    assert json.dumps(results[0], sort_keys=True) == json.dumps(results[1], sort_keys=True)


def test_the_command_line_writes_a_store_and_trains_on_it(tmp_path, capsys):
    store = tmp_path / "panel.store"
    data = [f"--set=data.options.{k}={v}" for k, v in MOCK.items()] + [
        "--set=data.feature_norm=rank"
    ]
    assert main(["store", "--data", "mock", *data, "--out", str(store)]) == 0
    assert f"train on it with --data {store}" in capsys.readouterr().out
    out = tmp_path / "run"
    training = [f"--set={setting}" for setting in TRAINING]
    args = ["train", "--config", "baseline_gru", "--data", str(store), "--out", str(out)]
    assert main([*args, *training]) == 0
    config = json.loads((out / "config.json").read_text())["data"]
    assert config["source"] == "store" and config["feature_norm"] == "rank"
    with pytest.raises(SystemExit, match="exists"):
        main(["store", "--data", "mock", "--out", str(store)])


def test_a_store_refuses_another_normalisation(store):
    config = DataConfig(source="store", options={"path": str(store)}, label_norm="rank")
    with pytest.raises(ValueError, match=r"data.label_norm: 'rank', but the store .* 'zscore'"):
        build_datasets(config)
    with pytest.raises(ValueError, match="its one option is path"):
        build_datasets(DataConfig(source="store", options={"path": str(store), "seed": 1}))


def test_a_store_appears_whole_or_not_at_all(panel, tmp_path):
    path = tmp_path / "half.store"
    names = (panel.dates, panel.assets, panel.feature_names, panel.target_names, panel.horizon)
    with pytest.raises(RuntimeError, match="interrupted"):
        with StoreWriter(path, *names) as writer:
            writer.append(panel.features[:10], panel.labels[:10])
            raise RuntimeError("interrupted")
    assert not path.exists() and list(tmp_path.iterdir()) == []
    writer = StoreWriter(path, *names)
    writer.append(panel.features[:10], panel.labels[:10])
    with pytest.raises(ValueError, match="10 of 60 rows written"):
        writer.close()
    with pytest.raises(ValueError, match=r"expected features \(60, 12, 8\)"):
        with StoreWriter(path, *names) as writer:
            writer.append(panel.features[:, :3], panel.labels)
    assert list(tmp_path.iterdir()) == []


def test_a_store_checks_its_description_as_a_panel_does(panel, tmp_path):
    with pytest.raises(ValueError, match="assets"):
        StoreWriter(tmp_path / "s", panel.dates, ["a", "a"], ["f"], ["y"], 1)
    with pytest.raises(ValueError, match="not a .npy file"):
        (tmp_path / "bad.npy").write_bytes(b"not numpy")
        StoredArray(tmp_path / "bad.npy")


def test_an_array_writer_writes_what_numpy_reads(tmp_path):
    numpy = pytest.importorskip("numpy")
    values = torch.arange(24, dtype=torch.float32).view(4, 3, 2)
    writer = ArrayWriter(tmp_path / "a.npy", torch.float32, (4, 3, 2))
    writer.append(values[:1])
    writer.append(values[1:])
    writer.close()
    assert numpy.array_equal(numpy.load(tmp_path / "a.npy"), values.numpy())
    assert torch.equal(StoredArray(tmp_path / "a.npy")[1:3], values[1:3])
