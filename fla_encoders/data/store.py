"""The panel store: a prepared panel (``PreparedPanel``: normalised per date) on disk, written once
and read lazily by every run, rank and worker: a dataset reads the windows it needs, nothing more.

A store is a folder: ``meta.json`` (dates, assets, names, horizons, and the normalisation it was
prepared with), ``present.npy (D, N)`` bool, ``inputs.npy (D, N, F')``, ``targets.npy`` and
``labels.npy (D, N, K)`` float32 (``PreparedPanel``'s arrays), and for a synthetic panel
``signal.npy (D, N, K)``. ``StoreWriter`` writes it from chunks of dates, each normalised on its own
(the panel is never whole in memory); ``write_store`` from a loaded ``Panel``; the command line
``fla-encoders store``. It appears complete or not at all (a temporary folder, renamed at the end).
``open_store`` reads it (``data.source = "store"``, ``data.options.path``).
"""

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import torch

from fla_encoders.data.arrays import ArrayWriter, StoredArray, map_large_allocations
from fla_encoders.data.dataset import PreparedPanel, prepared_arrays
from fla_encoders.data.panel import Panel

FORMAT = "fla-encoders panel store"
VERSION = 1
NORMALISATION = ("feature_norm", "label_norm", "flag_missing")
PathLike = Union[str, Path]


@dataclass
class StoredPanel:
    """A stored panel's description, as ``Panel`` names it; ``signal: (D, N, K)`` read lazily, or
    None."""

    dates: List[str]
    assets: List[str]
    feature_names: List[str]
    target_names: List[str]
    horizon: int
    target_horizons: List[int]
    signal: Optional[StoredArray] = None


def is_store(path: PathLike) -> bool:
    """Whether ``path`` is a folder holding a store."""
    return (Path(path) / "meta.json").is_file()


def described(
    dates: Sequence[Any],
    assets: Sequence[Any],
    feature_names: Sequence[str],
    target_names: Sequence[str],
    horizon: int,
    target_horizons: Optional[Sequence[int]],
) -> Panel:
    """A ``Panel`` of this description whose arrays are zero-stride views (no memory), so that
    a store's dates, assets, names and horizons get the panel's own checks."""
    d, n = len(dates), len(assets)
    nothing = torch.zeros(())
    return Panel(
        dates=list(dates),
        assets=list(assets),
        features=nothing.expand(d, n, len(feature_names)),
        labels=nothing.expand(d, n, len(target_names)),
        horizon=horizon,
        feature_names=list(feature_names),
        target_names=list(target_names),
        target_horizons=None if target_horizons is None else list(target_horizons),
    )


class StoreWriter:
    """Writes a store at ``path`` from chunks of dates appended in order (``append``). The
    description is checked as a ``Panel``'s; ``signal``: whether chunks bring a planted signal.
    ``close()`` checks that every date came and puts the store at ``path``; as a context
    manager it closes on success and leaves nothing behind on an error."""

    def __init__(
        self,
        path: PathLike,
        dates: Sequence[Any],
        assets: Sequence[Any],
        feature_names: Sequence[str],
        target_names: Sequence[str],
        horizon: int,
        target_horizons: Optional[Sequence[int]] = None,
        signal: bool = False,
        feature_norm: str = "zscore",
        label_norm: str = "zscore",
        flag_missing: bool = False,
    ):
        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f"{self.path} exists: remove it or write the store elsewhere")
        panel = described(dates, assets, feature_names, target_names, horizon, target_horizons)
        self.meta = {
            "format": FORMAT,
            "version": VERSION,
            "dates": panel.dates,
            "assets": panel.assets,
            "feature_names": panel.feature_names,
            "target_names": panel.target_names,
            "horizon": panel.horizon,
            "target_horizons": panel.target_horizons,
            "feature_norm": feature_norm,
            "label_norm": label_norm,
            "flag_missing": flag_missing,
        }
        d, n, f, k = len(panel.dates), len(panel.assets), len(feature_names), len(target_names)
        self.sizes = (n, f, k)
        shapes = {
            "present": (torch.bool, (d, n)),
            "inputs": (torch.float32, (d, n, 2 * f if flag_missing else f)),
            "targets": (torch.float32, (d, n, k)),
            "labels": (torch.float32, (d, n, k)),
        }
        if signal:
            shapes["signal"] = (torch.float32, (d, n, k))
        map_large_allocations()  # memory stays flat however many chunks come
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}."))
        self.writers = {
            name: ArrayWriter(self.folder / f"{name}.npy", dtype, shape)
            for name, (dtype, shape) in shapes.items()
        }

    def append(
        self, features: torch.Tensor, labels: torch.Tensor, signal: Optional[torch.Tensor] = None
    ) -> None:
        """The next dates: ``features: (d, N, F)``, ``labels: (d, N, K)`` (NaN where missing),
        ``signal: (d, N, K)`` when the store has one; normalised here, date by date."""
        n, f, k = self.sizes
        d = len(features)
        if features.shape[1:] != (n, f) or labels.shape != (d, n, k):
            raise ValueError(
                f"append: expected features ({d}, {n}, {f}) and labels ({d}, {n}, {k}), got "
                f"{tuple(features.shape)} and {tuple(labels.shape)}"
            )
        if (signal is None) != ("signal" not in self.writers):
            raise ValueError(
                f"signal: this store {'has' if 'signal' in self.writers else 'has no'} signal"
            )
        meta = self.meta
        arrays = prepared_arrays(
            features, labels, meta["feature_norm"], meta["label_norm"], meta["flag_missing"]
        )
        if signal is not None:
            arrays["signal"] = signal
        for name, writer in self.writers.items():
            writer.append(arrays[name])

    def close(self) -> Path:
        """Check and finish the store; returns its path. A store that fails the check is
        discarded."""
        try:
            for writer in self.writers.values():
                writer.close()
            (self.folder / "meta.json").write_text(json.dumps(self.meta) + "\n")
            os.replace(self.folder, self.path)
        except BaseException:
            self.discard()
            raise
        return self.path

    def discard(self) -> None:
        for writer in self.writers.values():
            writer.file.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "StoreWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def write_store(
    panel: Panel,
    path: PathLike,
    feature_norm: str = "zscore",
    label_norm: str = "zscore",
    flag_missing: bool = False,
    dates_per_chunk: int = 64,
) -> Path:
    """Write ``panel`` as a store at ``path``, normalised ``dates_per_chunk`` dates at a time;
    returns the path."""
    if dates_per_chunk < 1:
        raise ValueError(f"dates_per_chunk: expected >= 1, got {dates_per_chunk}")
    with StoreWriter(
        path,
        panel.dates,
        panel.assets,
        panel.feature_names,
        panel.target_names,
        panel.horizon,
        panel.target_horizons,
        signal=panel.signal is not None,
        feature_norm=feature_norm,
        label_norm=label_norm,
        flag_missing=flag_missing,
    ) as writer:
        for start in range(0, len(panel.dates), dates_per_chunk):
            rows = slice(start, start + dates_per_chunk)
            signal = None if panel.signal is None else panel.signal[rows]
            writer.append(panel.features[rows], panel.labels[rows], signal)
    return Path(path)


def store_meta(path: PathLike) -> Dict[str, Any]:
    """The ``meta.json`` of the store at ``path``, checked to be one."""
    file = Path(path) / "meta.json"
    if not file.is_file():
        raise FileNotFoundError(
            f"{path}: not a panel store (no meta.json); write one with fla-encoders store"
        )
    meta = json.loads(file.read_text())
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ValueError(f"{file}: not a {FORMAT} of version {VERSION}")
    return meta


def open_store(path: PathLike, **normalisation: Any) -> PreparedPanel:
    """The prepared panel of the store at ``path``, its arrays read as they are indexed.
    ``normalisation`` (``feature_norm``, ``label_norm``, ``flag_missing``): the settings the
    caller expects, each checked against those the store was prepared with. Large buffers are
    returned to the system when freed (``map_large_allocations``), so that memory stays flat
    however many dates are read."""
    meta = store_meta(path)
    for key, value in normalisation.items():
        if key not in NORMALISATION:
            raise TypeError(f"open_store: unknown setting {key!r}; known: {NORMALISATION}")
        if value != meta[key]:
            raise ValueError(
                f"data.{key}: {value!r}, but the store {path} was prepared with {meta[key]!r}; "
                f"set data.{key}={json.dumps(meta[key])}, or write a store prepared so"
            )
    folder = Path(path)
    arrays = {
        name: StoredArray(folder / f"{name}.npy")
        for name in ("present", "inputs", "targets", "labels")
    }
    d, n = len(meta["dates"]), len(meta["assets"])
    for array in arrays.values():
        if tuple(array.shape[:2]) != (d, n):
            raise ValueError(f"{array.path}: shape {tuple(array.shape)}, expected ({d}, {n}, ...)")
    signal = folder / "signal.npy"
    map_large_allocations()
    panel = StoredPanel(
        dates=meta["dates"],
        assets=meta["assets"],
        feature_names=meta["feature_names"],
        target_names=meta["target_names"],
        horizon=meta["horizon"],
        target_horizons=meta["target_horizons"],
        signal=StoredArray(signal) if signal.is_file() else None,
    )
    return PreparedPanel.from_arrays(panel, arrays)
