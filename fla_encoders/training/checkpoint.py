"""Checkpoints written atomically (a temporary file beside the target, then ``os.replace``) and
read back safely (``torch.load(..., weights_only=True)``: tensors and plain data only, so a
file planted in a run folder can run no code).

A rotating checkpoint keeps the previous state beside the latest (``checkpoint.pt`` and
``checkpoint.prev.pt``); a reader whose latest file is unreadable falls back on the previous one.
"""

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Union

import torch

from fla_encoders.training.errors import CheckpointError

PathLike = Union[str, Path]


def previous_path(path: PathLike) -> Path:
    """Where the state before the latest is kept: ``checkpoint.pt`` -> ``checkpoint.prev.pt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def save_atomic(state: Any, path: PathLike, keep_previous: bool = False) -> None:
    """``torch.save(state)`` to ``path``; a reader sees the old file or the new one, never half.

    With ``keep_previous``, the file already at ``path`` becomes ``previous_path(path)``: at
    every moment one of the two holds a whole state.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        if keep_previous and path.exists():
            os.replace(path, previous_path(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load_safely(path: PathLike) -> Any:
    """The state saved at ``path``, loaded on the CPU with ``weights_only=True``; a
    ``CheckpointError`` naming the file when it cannot be loaded that way (corrupt, truncated,
    or holding objects other than tensors and plain data)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path} cannot be loaded safely: it is not only tensors and plain data (a damaged "
            f"file, or objects whose loading could run code); refused"
        ) from exc
    except Exception as exc:  # torch reports a damaged file as EOFError, RuntimeError, KeyError
        detail = str(exc).split(". ")[0][:200]
        raise CheckpointError(
            f"{path} cannot be loaded: {type(exc).__name__}{': ' + detail if detail else ''} "
            f"(corrupt or truncated)"
        ) from exc


def load_if_present(path: Optional[PathLike]) -> Optional[Any]:
    """The state saved at ``path`` (``load_safely``), or None when there is no path or no file."""
    if path is None or not Path(path).exists():
        return None
    return load_safely(path)


class Loaded(NamedTuple):
    """A state read by ``load_latest``: from ``path``, after passing over the newer files whose
    failures are in ``skipped``."""

    state: Any
    path: Path
    skipped: List[str]


def load_latest(path: PathLike) -> Optional[Loaded]:
    """The state at ``path``, else the one at ``previous_path(path)``; None when neither file
    exists. A ``CheckpointError`` naming both files when none that exists can be loaded."""
    latest, earlier = Path(path), previous_path(path)
    if not (latest.exists() or earlier.exists()):
        return None
    skipped: List[str] = []
    for candidate in (latest, earlier):
        if not candidate.exists():
            skipped.append(f"{candidate} is missing")
            continue
        try:
            return Loaded(load_safely(candidate), candidate, skipped)
        except CheckpointError as exc:
            skipped.append(str(exc))
    raise CheckpointError(
        f"no checkpoint can be loaded: {'; '.join(skipped)}. To start the run over, delete "
        f"{latest} and {earlier}"
    )


def require_keys(state: Any, keys: List[str], path: PathLike, what: str) -> Any:
    """``state`` if it is a dict holding ``keys``, else a ``CheckpointError`` saying that
    ``path`` is not ``what``."""
    missing = [key for key in keys if key not in state] if isinstance(state, dict) else keys
    if missing:
        raise CheckpointError(f"{path} is not {what}: it lacks {', '.join(map(repr, missing))}")
    return state
