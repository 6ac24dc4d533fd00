"""Which column holds the dates, which the assets, which the labels; names checked once."""

from typing import Collection, List, Optional, Sequence

from fla_encoders.data.table import Table

DATE_NAMES = ("date", "datetime", "timestamp")
ASSET_NAMES = ("asset", "instrument", "symbol", "ticker")


def find_column(table: Table, given: Optional[str], argument: str, usual: Sequence[str]) -> int:
    """The index of the column named ``given``, or, when ``given`` is None, of the one column
    whose name is one of ``usual`` (any case). ``argument`` is the option that names it."""
    if given is not None:
        if given not in table.names:
            raise table.error(f"{argument}: {given!r} is not a column; columns: {table.names}")
        return table.names.index(given)
    found = [i for i, name in enumerate(table.names) if name.lower() in usual]
    if len(found) == 1:
        return found[0]
    wanted = " or ".join(repr(name) for name in usual)
    if found:
        several = [table.names[i] for i in found]
        raise table.error(
            f"several columns could be the {argument}: {several}; choose with {argument}=..."
        )
    raise table.error(
        f"no column named {wanted} (any case); name it with {argument}=...; columns: {table.names}"
    )


def find_date_column(table: Table, given: Optional[str]) -> int:
    """``find_column`` for the dates; without a usual name, an unnamed first column is the one
    (the index that ``DataFrame.to_csv`` writes)."""
    if given is None and table.names and table.names[0] == "":
        if not any(name.lower() in DATE_NAMES for name in table.names):
            return 0
    return find_column(table, given, "date_column", DATE_NAMES)


def check_names(table: Table, unnamed_allowed: Collection[int] = ()) -> None:
    """Every column named, and no name twice."""
    first = {}
    for i, name in enumerate(table.names):
        if not name and i not in unnamed_allowed:
            raise table.error(
                f"column {i + 1} of the header has no name (an index that DataFrame.to_csv "
                f"wrote? write with index=False, or name it)"
            )
        if name in first:
            raise table.error(
                f"columns {first[name] + 1} and {i + 1} are both named {name!r}; names must "
                f"be unique"
            )
        first[name] = i


def label_columns_of(
    table: Table, given: Optional[Sequence[str]], keys: Collection[int]
) -> List[int]:
    """The label columns: ``given`` names, else the ``label`` group of a Qlib layout, else
    the names starting with ``label``."""
    others = [i for i in range(len(table.names)) if i not in keys]
    if given is not None:
        missing = [name for name in given if name not in table.names]
        if missing or not given:
            raise table.error(f"label_columns: {missing or 'none'} not found among {table.names}")
        return [table.names.index(name) for name in given]
    if table.groups:
        found = [i for i in others if table.groups.get(table.names[i]) == "label"]
    else:
        found = [i for i in others if table.names[i].startswith("label")]
    if not found:
        raise table.error(
            f"label_columns: none found (names starting with 'label', or Qlib's 'label' "
            f"group); name them with label_columns=[...]; columns: {table.names}"
        )
    return found
