"""One experiment: a configuration's model trained on its data, then evaluated on the test split.

A configuration (``fla_encoders.experiments.config.load_config``) holds ``"model"``
(``FLAFinancialModel``'s arguments), and optionally ``"data"`` (``DataConfig``) and
``"training"`` (``TrainConfig``).
"""

import json
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

import torch

from fla_encoders.data.config import DataConfig, build_datasets
from fla_encoders.data.dataset import BatchTimeSeriesDataset
from fla_encoders.data.panel import Panel
from fla_encoders.evaluation.predict import Predictions, predict
from fla_encoders.experiments.config import build_model
from fla_encoders.training.checkpoint import load_if_present, require_keys, save_atomic
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.distributed import LOCAL, Group
from fla_encoders.training.loop import fit
from fla_encoders.training.preflight import check_trainable

Datasets = Dict[str, BatchTimeSeriesDataset]
PREDICTIONS = "test_predictions.pt"
MODEL_KEYS = ["config", "sizes", "model", "result"]


def datasets_for(config: Dict[str, Any]) -> Datasets:
    """The train/valid/test datasets of ``config["data"]``."""
    return build_datasets(DataConfig.from_dict(config.get("data", {})))


def run_experiment(
    config: Dict[str, Any],
    out_dir: Union[str, Path],
    datasets: Optional[Datasets] = None,
    on_epoch: Optional[Callable[[Dict[str, float]], None]] = None,
    group: Group = LOCAL,
) -> Dict[str, Any]:
    """Train and test; resumable. Writes ``out_dir/config.json`` (a rerun must match it),
    ``out_dir/checkpoint.pt`` while training and
    ``out_dir/model.pt`` (configuration, weights, result) at the end; returns the result:
    ``encoder``, ``seed``, ``best_epoch``, ``best_valid_ic``, ``history``, ``test`` (metrics),
    ``daily`` (test dates, daily IC averaged over targets and per target) and ``info``
    (monitoring values per test date). ``on_epoch`` goes to ``fit``.

    What cannot train is refused (``TrainingError``) before the folder is claimed; a file of
    the folder that cannot be loaded safely is a ``CheckpointError`` naming it.

    In a ``group`` of processes (torchrun, fla_encoders.training.distributed) every rank calls
    it: they train the model together, rank 0 alone reads and writes the folder and tests the
    model, and every rank returns the result."""
    out_dir = Path(out_dir)
    finished = group.from_main(finished_result, config, out_dir)
    if finished is not None:
        return finished
    datasets = datasets or datasets_for(config)
    train_config = TrainConfig.from_dict(config.get("training", {}))
    check_trainable(datasets["train"], datasets["valid"], train_config)
    group.from_main(claim, config, out_dir)
    if train_config.threads is not None:
        torch.set_num_threads(train_config.threads)
    started = time.time()
    torch.manual_seed(train_config.seed)
    prepared = datasets["train"].prepared
    sizes = {"n_features": prepared.n_features, "num_targets": prepared.num_targets}
    model = build_model(config, **sizes)
    fitted = fit(
        model,
        datasets["train"],
        datasets["valid"],
        train_config,
        out_dir / "checkpoint.pt",
        on_epoch,
        group,
    )
    result = {
        "encoder": config["model"].get("encoder_name"),
        "seed": train_config.seed,
        "best_epoch": fitted.best_epoch,
        "best_valid_ic": fitted.best_valid_ic,
        "history": fitted.history,
        "seconds": time.time() - started,
    }
    return group.from_main(finish, config, out_dir, model, sizes, result, datasets["test"])


def finished_result(config: Dict[str, Any], out_dir: Path) -> Optional[Dict[str, Any]]:
    """The result of the run finished in ``out_dir``, None if it is not; a ``ValueError`` when
    the folder holds a run of another configuration."""
    claimed = out_dir / "config.json"
    if claimed.exists() and json.loads(claimed.read_text()) != config:
        raise ValueError(
            f"out_dir: {out_dir} holds a run of another configuration; resume it with the same "
            f"settings, or choose another folder"
        )
    finished = load_if_present(out_dir / "model.pt")
    if finished is None:
        return None
    return require_keys(finished, MODEL_KEYS, out_dir / "model.pt", "a finished run")["result"]


def claim(config: Dict[str, Any], out_dir: Path) -> None:
    """``out_dir/config.json``: the folder is this configuration's run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def finish(
    config: Dict[str, Any],
    out_dir: Path,
    model: torch.nn.Module,
    sizes: Dict[str, int],
    result: Dict[str, Any],
    test_set: BatchTimeSeriesDataset,
) -> Dict[str, Any]:
    """``result`` completed by the test of the trained ``model`` on ``test_set``, and saved
    with it in ``out_dir`` (test predictions, ``model.pt``, ``result.json``)."""
    evaluated = evaluate_model(model, test_set)
    result.update(test=evaluated["metrics"], daily=evaluated["daily"], info=evaluated["info"])
    panel = test_set.prepared.panel
    save_atomic(prediction_record(evaluated["predictions"], panel), out_dir / PREDICTIONS)
    save_atomic(
        {"config": config, "sizes": sizes, "model": model.state_dict(), "result": result},
        out_dir / "model.pt",
    )
    (out_dir / "result.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    return result


def evaluate_model(model: torch.nn.Module, dataset: BatchTimeSeriesDataset) -> Dict[str, Any]:
    """``{"metrics", "daily", "info"}`` of ``model`` on ``dataset`` (see ``run_experiment``)."""
    predictions = predict(model, dataset)
    daily = predictions.daily_ic()
    dates = dataset.prepared.panel.dates
    return {
        "predictions": predictions,
        "metrics": predictions.metrics(),
        "daily": {
            "date": [dates[int(d)] for d in daily["date"]],
            "ic": daily["ic"].tolist(),
            "rank_ic": daily["rank_ic"].tolist(),
            "targets": {
                name: {key: series.tolist() for key, series in values.items()}
                for name, values in daily["targets"].items()
            },
        },
        "info": {
            key: {"date": [dates[d] for d in predictions.batch_dates], "value": values}
            for key, values in predictions.info.items()
        },
    }


def prediction_record(predictions: Predictions, panel: Panel) -> Dict[str, Any]:
    """The test predictions as saved beside a run: tensors and lists only (``weights_only``);
    ``date`` and ``asset`` index the panel's ``dates`` and ``assets``, saved alongside."""
    return {
        "pred": predictions.pred,
        "label": predictions.label,
        "date": predictions.date,
        "asset": predictions.asset,
        "target_names": list(predictions.target_names),
        "target_horizons": list(panel.target_horizons),
        "dates": [str(d) for d in panel.dates],
        "assets": [str(a) for a in panel.assets],
    }


def load_trained(path: Union[str, Path]):
    """``(config, model)`` from a ``model.pt`` written by ``run_experiment``, loaded safely (a
    ``CheckpointError`` naming the file otherwise)."""
    saved = load_if_present(path)
    if saved is None:
        raise FileNotFoundError(f"model: no file at {path}")
    require_keys(saved, MODEL_KEYS, path, "a model.pt written by train")
    model = build_model(saved["config"], **saved["sizes"])
    model.load_state_dict(saved["model"])
    return saved["config"], model
