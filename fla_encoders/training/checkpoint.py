"""Checkpoints written atomically: a temporary file beside the target, then ``os.replace``."""

import os
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

import torch


def save_atomic(state: Any, path: Union[str, Path]) -> None:
    """``torch.save(state)`` to ``path``; a reader sees the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load_if_present(path: Optional[Union[str, Path]]) -> Optional[Any]:
    """The state saved at ``path``, or None when there is no path or no file."""
    if path is None or not Path(path).exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)
