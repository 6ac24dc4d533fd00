"""One entry to every data source, chosen by a ``source`` name and its keyword arguments."""

import inspect
from typing import Any, Callable, Dict

from fla_encoders.data.columns import ASSET_NAMES
from fla_encoders.data.long import load_long_panel
from fla_encoders.data.panel import Panel
from fla_encoders.data.prices import load_prices
from fla_encoders.data.readers import column_names
from fla_encoders.data.synthetic import make_mock_panel

SOURCES: Dict[str, Callable[..., Panel]] = {
    "mock": make_mock_panel,
    "prices": load_prices,
    "long": load_long_panel,
}


def load_panel(source: str, **kwargs: Any) -> Panel:
    """``load_panel("mock", seed=0)``, ``load_panel("prices", path=...)``,
    ``load_panel("long", path=..., horizon=...)``: the panel of that source (``path`` a file
    or a DataFrame)."""
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {sorted(SOURCES)}, got {source!r}")
    signature = inspect.signature(SOURCES[source])
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        raise ValueError(
            f"source {source!r}: {exc}; its options: {', '.join(signature.parameters)}"
        ) from None
    return SOURCES[source](**kwargs)


def source_of(path) -> str:
    """``"long"`` for a file or frame with an asset column (``asset``, ``instrument``,
    ``symbol`` or ``ticker``, any case), else ``"prices"``."""
    names = [name.lower() for name in column_names(path)]
    return "long" if any(name in ASSET_NAMES for name in names) else "prices"
