"""Panels (synthetic, prices, long files or frames), their normalisation, date-batched windows,
and the panel store (a prepared panel on disk, read lazily)."""

from fla_encoders.data.dataset import BatchTimeSeriesDataset, PreparedPanel, chronological_splits
from fla_encoders.data.errors import PanelFormatError
from fla_encoders.data.long import load_long_panel
from fla_encoders.data.panel import Panel
from fla_encoders.data.prices import load_price_csv, load_prices, price_panel
from fla_encoders.data.sources import load_panel, source_of
from fla_encoders.data.store import StoreWriter, open_store, write_store
from fla_encoders.data.synthetic import make_mock_panel

__all__ = [
    "BatchTimeSeriesDataset",
    "Panel",
    "PanelFormatError",
    "PreparedPanel",
    "StoreWriter",
    "chronological_splits",
    "load_long_panel",
    "load_panel",
    "load_price_csv",
    "load_prices",
    "make_mock_panel",
    "open_store",
    "price_panel",
    "source_of",
    "write_store",
]
