"""One entry to every data source, chosen by a ``source`` name and its keyword arguments."""

from typing import Any, Callable, Dict

from fla_encoders.data.long import load_long_panel
from fla_encoders.data.panel import Panel
from fla_encoders.data.prices import load_price_csv
from fla_encoders.data.synthetic import make_mock_panel

SOURCES: Dict[str, Callable[..., Panel]] = {
    "mock": make_mock_panel,
    "prices": load_price_csv,
    "long": load_long_panel,
}


def load_panel(source: str, **kwargs: Any) -> Panel:
    """``load_panel("mock", seed=0)``, ``load_panel("prices", path=...)``,
    ``load_panel("long", path=..., horizon=...)``: the panel of that source."""
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {sorted(SOURCES)}, got {source!r}")
    try:
        return SOURCES[source](**kwargs)
    except TypeError as exc:
        raise ValueError(f"source {source!r}: bad arguments {sorted(kwargs)}: {exc}") from exc
