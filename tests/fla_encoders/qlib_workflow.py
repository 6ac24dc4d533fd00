"""Run inside a virtual environment with pyqlib (tests/fla_encoders/test_qlib.py makes it):

    python qlib_workflow.py WORKFLOW_YAML WORK_FOLDER

Qlib offline, on in-memory data through ``StaticDataLoader``: (1) the example workflow's task
(its model section as written, shortened training; its processors; its SignalRecord and
SigAnaRecord) run by Qlib's ``task_train`` on an Alpha360-shaped ``DatasetH``; (2)
``FLAEncoderModel`` on a ``TSDatasetH``. Writes WORK_FOLDER/report.json: Qlib's IC analysis of
the predictions beside fla-encoders' on the same predictions, and the model's windows beside
the ones Qlib's GRU models take.
"""

import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import qlib
import torch
from qlib.contrib.eva.alpha import calc_ic, calc_long_short_return
from qlib.data.dataset import TSDatasetH
from qlib.data.dataset.handler import DataHandlerLP
from qlib.model.trainer import task_train
from qlib.utils import init_instance_by_config
from ruamel.yaml import YAML

from fla_encoders.contrib.qlib import FLAEncoderModel
from fla_encoders.evaluation.factor import long_short
from fla_encoders.evaluation.metrics import daily_ic, ic_metrics

FIELDS = ("CLOSE", "OPEN", "HIGH", "LOW", "VWAP", "VOLUME")
DATES = pd.bdate_range("2021-01-04", periods=110)
SEGMENTS = {
    "train": ("2021-01-04", "2021-03-31"),
    "valid": ("2021-04-01", "2021-04-30"),
    "test": ("2021-05-03", "2021-06-07"),
}
QUICK = {"epochs": 3, "patience": 2, "hidden_size": 16, "prediction_hidden": [16], "lr": 0.003}
QUICK_BATCHES = {"dates_per_batch": 16}  # Alpha360's 60 steps: fewer, larger batches


def long_frame(features: np.ndarray, label: np.ndarray, names, rng) -> pd.DataFrame:
    """Qlib's layout of ``features: (D, N, F)`` and ``label: (D, N)``, with holes: 5% of the
    (date, instrument) rows absent, 1% of the feature cells and 3% of the labels NaN."""
    n_dates, n_assets, width = features.shape
    index = pd.MultiIndex.from_product(
        [DATES[:n_dates], [f"SH{600000 + i}" for i in range(n_assets)]],
        names=["datetime", "instrument"],
    )
    flat = features.reshape(-1, width).copy()
    flat[rng.random(flat.shape) < 0.01] = np.nan
    target = label.reshape(-1).copy()
    target[rng.random(target.shape) < 0.03] = np.nan
    frame = pd.concat(
        {
            "feature": pd.DataFrame(flat, index=index, columns=names),
            "label": pd.DataFrame({"LABEL0": target}, index=index),
        },
        axis=1,
    )
    return frame[rng.random(len(frame)) >= 0.05]


def alpha360_frame(rng, n_assets=20, steps=60) -> pd.DataFrame:
    """Rows of Alpha360's layout (``CLOSE59 .. CLOSE0, OPEN59 ..``); the label follows the
    last five closes."""
    values = rng.normal(size=(len(DATES), n_assets, len(FIELDS), steps))
    label = values[..., 0, -5:].mean(-1) + 0.5 * rng.normal(size=values.shape[:2])
    names = [f"{field}{lag}" for field in FIELDS for lag in range(steps - 1, -1, -1)]
    return long_frame(values.reshape(len(DATES), n_assets, -1), label, names, rng)


def daily_frame(rng, n_assets=30, width=8) -> pd.DataFrame:
    """One row per date; the label follows feature F0 over the last three dates."""
    values = rng.normal(size=(len(DATES), n_assets, width))
    recent = np.stack([np.roll(values[..., 0], lag, axis=0) for lag in range(3)]).mean(0)
    label = recent + 0.5 * rng.normal(size=recent.shape)
    return long_frame(values, label, [f"F{j}" for j in range(width)], rng)


def handler_config(path: Path, processors: dict) -> dict:
    """A ``DataHandlerLP`` of the frame pickled at ``path``, with the workflow's processors."""
    return {
        "class": "DataHandlerLP",
        "module_path": "qlib.data.dataset.handler",
        "kwargs": {
            "data_loader": {
                "class": "StaticDataLoader",
                "module_path": "qlib.data.dataset.loader",
                "kwargs": {"config": str(path)},
            },
            **processors,
        },
    }


def workflow_processors(config: dict) -> dict:
    """The workflow's processors, fitted on the training segment (``RobustZScoreNorm``'s
    fit dates come from the Alpha360 handler's arguments, which ``DataHandlerLP`` lacks)."""
    fit_dates = {"fit_start_time": SEGMENTS["train"][0], "fit_end_time": SEGMENTS["train"][1]}
    out = {}
    for key in ("infer_processors", "learn_processors"):
        out[key] = copy.deepcopy(config["data_handler_config"][key])
        for processor in out[key]:
            if processor["class"] == "RobustZScoreNorm":
                processor["kwargs"].update(fit_dates)
    return out


def codes(index: pd.Index) -> torch.Tensor:
    """The ``datetime`` level of ``index`` as integer codes in date order."""
    return torch.as_tensor(pd.factorize(index.get_level_values("datetime"), sort=True)[0])


def ic_agreement(pred: pd.Series, label: pd.Series, qlib_ic: pd.Series, qlib_ric: pd.Series):
    """Qlib's daily IC and Rank IC beside ``metrics.daily_ic`` on the same rows."""
    rows = pd.DataFrame({"pred": pred, "label": label})
    ours = daily_ic(
        torch.as_tensor(rows["pred"].to_numpy()),
        torch.as_tensor(rows["label"].to_numpy()),
        codes(rows.index),
    )
    summary = ic_metrics(
        torch.as_tensor(rows[["pred"]].to_numpy()),
        torch.as_tensor(rows[["label"]].to_numpy()),
        codes(rows.index),
        ["score"],
    )["score"]
    return {
        "dates": len(qlib_ic),
        "ic_max_abs_diff": float(np.nanmax(np.abs(ours["ic"].numpy() - qlib_ic.to_numpy()))),
        "rank_ic_max_abs_diff": float(
            np.nanmax(np.abs(ours["rank_ic"].numpy() - qlib_ric.to_numpy()))
        ),
        "same_nan_dates": bool((np.isnan(ours["ic"].numpy()) == qlib_ic.isna().to_numpy()).all()),
        "ours": summary,
        "qlib": {
            "ic": float(qlib_ic.mean()),
            "icir": float(qlib_ic.mean() / qlib_ic.std()),
            "rank_ic": float(qlib_ric.mean()),
            "rank_icir": float(qlib_ric.mean() / qlib_ric.std()),
        },
    }


def long_short_agreement(pred: pd.Series, label: pd.Series):
    """``factor.long_short`` beside Qlib's ``calc_long_short_return`` (which halves the
    spread) on the rows with a finite label (Qlib's ``dropna=True``)."""
    qlib_spread, _ = calc_long_short_return(pred, label, dropna=True)
    rows = pd.DataFrame({"pred": pred, "label": label}).dropna()
    ours = long_short(rows["pred"], rows["label"], codes(rows.index).numpy(), quantiles=5)
    spread = np.array(ours["daily"]["long_short"])
    return {
        "dates": len(qlib_spread),
        "max_abs_diff_ours_vs_twice_qlib": float(np.max(np.abs(spread - 2 * qlib_spread))),
    }


def window_rows(model: FLAEncoderModel, dataset, segment: str):
    """``{(datetime, instrument): window (T, F)}`` of the model's inference windows."""
    windows = model.windows(dataset, segment, DataHandlerLP.DK_I)
    panel = windows.prepared.panel
    out = {}
    for index in range(len(windows)):
        batch = windows[index]
        for x, d, a in zip(batch["x"], batch["date"].tolist(), batch["asset"].tolist()):
            out[(pd.Timestamp(panel.dates[d]), panel.assets[a])] = x.numpy()
    return out


def row_windows_agreement(model: FLAEncoderModel, dataset) -> float:
    """Largest difference between the model's windows and Qlib's GRU reshape of the rows
    (``x.reshape(N, d_feat, -1).permute(0, 2, 1)``)."""
    rows = dataset.prepare("test", col_set="feature", data_key=DataHandlerLP.DK_I)
    qlib_x = rows.to_numpy().reshape(len(rows), model.d_feat, -1).transpose(0, 2, 1)
    ours = window_rows(model, dataset, "test")
    return max(
        float(np.max(np.abs(ours[key] - x.astype(np.float32))))
        for key, x in zip(rows.index, qlib_x)
    )


def ts_windows_agreement(model: FLAEncoderModel, dataset) -> dict:
    """The model's windows beside ``TSDataSampler``'s with ``fillna_type="ffill+bfill"``,
    as ``pytorch_gru_ts`` takes them."""
    sampler = dataset.prepare("test", col_set=["feature", "label"], data_key=DataHandlerLP.DK_I)
    sampler.config(fillna_type="ffill+bfill")
    ours = window_rows(model, dataset, "test")
    keys = list(sampler.get_index())
    diffs = [
        float(np.max(np.abs(ours[key] - sampler[i][:, :-1].astype(np.float32))))
        for i, key in enumerate(keys)
    ]
    return {"samples": len(keys), "ours": len(ours), "max_abs_diff": max(diffs)}


def workflow(config: dict, data_path: Path) -> dict:
    """The example workflow's task through Qlib's ``task_train``, on the in-memory data."""
    task = copy.deepcopy(config["task"])
    task["model"]["kwargs"].update(QUICK, **QUICK_BATCHES, encoder_kwargs={"num_layers": 1})
    task["dataset"]["kwargs"]["handler"] = handler_config(data_path, workflow_processors(config))
    task["dataset"]["kwargs"]["segments"] = SEGMENTS
    records = [r for r in task["record"] if r["class"] in ("SignalRecord", "SigAnaRecord")]
    for record in records:
        if record["class"] == "SigAnaRecord":
            record["kwargs"]["ana_long_short"] = True
    task["record"] = records
    started = time.monotonic()
    recorder = task_train(task, experiment_name="fla_encoders_workflow")
    seconds = time.monotonic() - started
    pred = recorder.load_object("pred.pkl")["score"]
    label = recorder.load_object("label.pkl").iloc[:, 0]
    model = recorder.load_object("params.pkl")
    dataset = init_instance_by_config(task["dataset"])
    return {
        "seconds": seconds,
        "model_section": config["task"]["model"],
        "model": type(model).__name__,
        "encoder": model.model_config["encoder_name"],
        "history": model.fit_result.history,
        "predictions": len(pred),
        "test_rows": len(dataset.prepare("test", col_set="feature")),
        "ic": ic_agreement(
            pred,
            label,
            recorder.load_object("sig_analysis/ic.pkl"),
            recorder.load_object("sig_analysis/ric.pkl"),
        ),
        "recorded_metrics": recorder.list_metrics(),
        "long_short": long_short_agreement(pred, label),
        "windows_max_abs_diff": row_windows_agreement(model, dataset),
    }


def time_series(data_path: Path) -> dict:
    """``FLAEncoderModel`` fitted and scored on a ``TSDatasetH`` directly."""
    processors = {
        "infer_processors": [{"class": "Fillna", "kwargs": {"fields_group": "feature"}}],
        "learn_processors": [
            {"class": "DropnaLabel"},
            {"class": "CSZScoreNorm", "kwargs": {"fields_group": "label"}},
        ],
    }
    handler = init_instance_by_config(handler_config(data_path, processors))
    dataset = TSDatasetH(handler=handler, segments=SEGMENTS, step_len=10)
    model = FLAEncoderModel(encoder_name="gru", seed=0, **QUICK)
    started = time.monotonic()
    model.fit(dataset)
    pred = model.predict(dataset)
    seconds = time.monotonic() - started
    test = slice(*SEGMENTS["test"])
    label = handler.fetch(test, col_set="label", data_key=DataHandlerLP.DK_R)["LABEL0"]
    qlib_ic, qlib_ric = calc_ic(pred, label)
    return {
        "seconds": seconds,
        "history": model.fit_result.history,
        "predictions": len(pred),
        "ic": ic_agreement(pred, label, qlib_ic, qlib_ric),
        "windows": ts_windows_agreement(model, dataset),
    }


def main(workflow_yaml: str, folder: str) -> None:
    work = Path(folder)
    config = YAML(typ="safe", pure=True).load(Path(workflow_yaml).read_text())
    provider = work / "provider"  # Qlib's data folder: empty, every row comes from memory
    provider.mkdir(parents=True, exist_ok=True)
    # Qlib records to an MLflow file store, which MLflow 3 refuses unless asked.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    qlib.init(
        provider_uri=str(provider),
        region=config["qlib_init"]["region"],
        exp_manager={
            "class": "MLflowExpManager",
            "module_path": "qlib.workflow.expm",
            "kwargs": {"uri": (work / "mlruns").as_uri(), "default_exp_name": "fla"},
        },
    )
    rng = np.random.default_rng(0)
    alpha360, daily = work / "alpha360.pkl", work / "daily.pkl"
    alpha360_frame(rng).to_pickle(alpha360)
    daily_frame(rng).to_pickle(daily)
    report = {"workflow": workflow(config, alpha360), "time_series": time_series(daily)}
    (work / "report.json").write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main(*sys.argv[1:])
