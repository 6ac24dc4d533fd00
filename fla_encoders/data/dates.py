"""Dates read as dates: one format decides a whole column, refused when it cannot be told.

A column's cells are dates or datetimes (from Parquet and frames), or text in one of
``FORMATS``, the same for every cell. Where the text leaves the order of day and month open
(``1/5/2024``), the column decides it when some cell has a day above 12; otherwise ``dayfirst``
or ``date_format`` must. Panels hold the dates as ISO 8601 strings (``iso_dates``).
"""

import datetime
from typing import Callable, Dict, List, Optional, Sequence

from fla_encoders.data.cells import MISSING
from fla_encoders.data.table import Table

Error = Callable[[int, str], Exception]  # (position, message) -> the error to raise

ISO = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
TIMES = [" %H:%M", "T%H:%M", " %H:%M:%S", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f"]
DAY_FIRST = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"]
MONTH_FIRST = ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y"]
NAMED = ["%d %b %Y", "%d-%b-%Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y"]
FORMATS = (
    ISO
    + [f"%Y-%m-%d{time}" for time in TIMES]
    + [f"%Y-%m-%d{time}%z" for time in TIMES[2:]]
    + DAY_FIRST
    + MONTH_FIRST
    + NAMED
)
EXAMPLES = "2024-01-31, 2024-01-31 09:30:00, 20240131, 31/01/2024, 01/31/2024, 31 Jan 2024"
MIDNIGHT = datetime.time()


def parse(text: str, date_format: str) -> Optional[datetime.datetime]:
    """``text`` read with ``date_format``, timezone-aware ones in UTC (naive); None if it does
    not fit."""
    try:
        return as_datetime(datetime.datetime.strptime(text, date_format))
    except ValueError:
        return None


def column_format(
    texts: Dict[str, int], date_format: Optional[str], dayfirst: Optional[bool], error: Error
) -> str:
    """The one format that reads every text of ``texts`` (text -> its first position)."""
    if date_format is not None:
        allowed = [date_format]
    else:
        excluded = {True: MONTH_FIRST, False: DAY_FIRST, None: []}[dayfirst]
        allowed = [f for f in FORMATS if f not in excluded]
    candidates = allowed
    for text, position in texts.items():
        fitting = [f for f in candidates if parse(text, f) is not None]
        if not fitting:
            raise error(position, unfit(text, candidates, allowed, date_format, dayfirst))
        candidates = fitting
    if len(candidates) > 1:
        refuse_ambiguous(texts, candidates, error)
    return candidates[0]


def unfit(
    text: str,
    candidates: List[str],
    allowed: List[str],
    date_format: Optional[str],
    dayfirst: Optional[bool],
) -> str:
    """Why ``text`` fits none of ``candidates`` (the ``allowed`` formats that the texts before
    it fit)."""
    if date_format is not None:
        return f"{text!r} does not match date_format {date_format!r}"
    if any(parse(text, f) is not None for f in allowed):
        return (
            f"{text!r} is not written like the dates before it ({candidates[0]!r}); a column "
            f"holds one date format"
        )
    if any(parse(text, f) is not None for f in FORMATS):
        return f"{text!r} does not fit dayfirst={dayfirst}"
    return (
        f"{text!r} is not a date in a known format (e.g. {EXAMPLES}); give its format as "
        f"date_format (strptime codes, e.g. '%d.%m.%Y')"
    )


def refuse_ambiguous(texts: Dict[str, int], candidates: List[str], error: Error) -> None:
    """Refuse the first text that the ``candidates`` (each fitting every text) read as
    different dates."""
    for text, position in texts.items():
        readings = sorted({parse(text, f) for f in candidates})
        if len(readings) > 1:
            shown = " or ".join(f"{r:%Y-%m-%d}" for r in readings)
            raise error(
                position,
                f"{text!r} is ambiguous: it could be {shown}, and no date of the column tells "
                f"day from month; pass dayfirst=True or False, or date_format",
            )


def as_text(cell) -> Optional[str]:
    """The text of a cell that is not already a date: strings stripped, integers such as
    20240131 as digits; None for anything else."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int) or (isinstance(cell, float) and cell.is_integer()):
        return str(int(cell))
    return None


def parse_dates(
    cells: Sequence,
    error: Error,
    date_format: Optional[str] = None,
    dayfirst: Optional[bool] = None,
) -> List[datetime.datetime]:
    """One naive ``datetime`` per cell; ``error(position, message)`` for a cell that is
    missing (None, blank or a marker such as ``NA``), not a date, or ambiguous."""
    texts: Dict[str, int] = {}
    for position, cell in enumerate(cells):
        if isinstance(cell, datetime.date):
            continue
        text = as_text(cell)
        if text is None or text in MISSING:
            gone = cell is None or cell != cell or text in MISSING  # None, NaN, blank, NA...
            what = "missing" if gone else f"{cell!r} is not a date"
            raise error(position, f"{what}; every row needs a date")
        texts.setdefault(text, position)
    chosen = column_format(texts, date_format, dayfirst, error) if texts else ""
    read = {text: parse(text, chosen) for text in texts}
    return [
        as_datetime(cell) if isinstance(cell, datetime.date) else read[as_text(cell)]
        for cell in cells
    ]


def table_dates(
    table: Table, column: int, date_format: Optional[str], dayfirst: Optional[bool]
) -> List[datetime.datetime]:
    """``parse_dates`` of a table's column, errors naming the row and column."""
    return parse_dates(
        table.columns[column],
        lambda row, message: table.error(message, row, column),
        date_format,
        dayfirst,
    )


def as_datetime(value: datetime.date) -> datetime.datetime:
    """A date at midnight, or a datetime naive (timezone-aware ones in UTC)."""
    if not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, MIDNIGHT)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def iso_dates(values: Sequence[datetime.datetime]) -> List[str]:
    """ISO 8601 strings: ``YYYY-MM-DD`` when every value is at midnight, else
    ``YYYY-MM-DDTHH:MM:SS`` (with microseconds when any has them)."""
    if all(value.time() == MIDNIGHT for value in values):
        return [value.date().isoformat() for value in values]
    timespec = "microseconds" if any(value.microsecond for value in values) else "seconds"
    return [value.isoformat(timespec=timespec) for value in values]


def increasing_dates(values: Sequence, argument: str) -> List[str]:
    """``values`` (dates, datetimes, or text of one format) as ISO strings; a ValueError
    naming ``argument`` unless they are dates and strictly increasing."""
    when = parse_dates(values, lambda i, message: ValueError(f"{argument}[{i}]: {message}"))
    for i in range(1, len(when)):
        if when[i] <= when[i - 1]:
            raise ValueError(
                f"{argument}: expected increasing dates, got {values[i]!r} at {i} after "
                f"{values[i - 1]!r}"
            )
    return iso_dates(when)


def business_dates(n: int, start: datetime.date = datetime.date(2020, 1, 1)) -> List[str]:
    """The first ``n`` weekdays from ``start`` on, as ISO strings."""
    dates, day = [], start
    while len(dates) < n:
        if day.weekday() < 5:
            dates.append(day.isoformat())
        day += datetime.timedelta(days=1)
    return dates
