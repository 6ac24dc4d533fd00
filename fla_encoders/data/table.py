"""The column-wise form every reader produces (CSV, Parquet, DataFrame) and the checks read.

Readers only split a source into named columns of cells; whether the cells are dates, assets
or numbers is decided in one place for every source (``dates.py``, ``cells.py``).
"""

from dataclasses import dataclass, field
from typing import Callable, Dict, Hashable, List, Optional, Sequence

from fla_encoders.data.errors import PanelFormatError


@dataclass
class Table:
    """``R`` rows of named columns, as read.

    ``columns[c]`` holds the ``R`` cells of ``names[c]``: strings from a text file; from a
    frame, a float64 array (numeric columns, NaN where missing) or a list of values (``None``
    where missing). ``groups`` maps a name to its top-level column group where the source has
    one (Qlib's ``feature``/``label``). ``place(r)`` says where row ``r`` is (``"line 7"``).
    """

    source: str
    names: List[str]
    columns: List[Sequence]
    place: Callable[[int], str]
    groups: Dict[str, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def error(
        self, message: str, row: Optional[int] = None, column: Optional[int] = None
    ) -> PanelFormatError:
        """``"<source>, <place of row>, column '<name>': <message>"``, parts left out when
        ``None``."""
        where = [self.source]
        if row is not None:
            where.append(self.place(row))
        if column is not None:
            where.append(f"column {self.names[column]!r}")
        return PanelFormatError(f"{', '.join(where)}: {message}")


def refuse_repeats(table: Table, keys: Sequence[Hashable], what: Callable[[Hashable], str]) -> None:
    """Refuse the first key of ``keys`` (one per row) that repeats, naming both rows;
    ``what(key)`` describes it."""
    first: Dict[Hashable, int] = {}
    for row, key in enumerate(keys):
        if key in first:
            raise table.error(
                f"{what(key)} appears twice: {table.place(first[key])} and {table.place(row)}"
            )
        first[key] = row
