"""Sources to a ``Table``: CSV files, Parquet files and pandas DataFrames.

CSV: with the ``pandas`` extra, pyarrow's CSV reader (the engine of
``pandas.read_csv(engine="pyarrow")``: fast, and strict about the number of fields); else the
standard library's ``csv``. Either way every cell stays text, blank lines are skipped, and a
row with more or fewer fields than the header is refused with its line (the standard reader
names it when pyarrow refuses). Parquet: ``pandas.read_parquet``, then as a DataFrame.
"""

import csv
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

from fla_encoders.data.errors import PanelFormatError
from fla_encoders.data.table import Table

EXTRA = "pip install 'fla-encoders[pandas]'"


def is_frame(value) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def read_table(source) -> Table:
    """The table of ``source``: a path to a CSV or Parquet file, or a DataFrame."""
    if is_frame(source):
        from fla_encoders.data.frames import frame_table

        return frame_table(source, "DataFrame")
    path = Path(source)
    if not path.is_file():
        raise PanelFormatError(f"path: no file at {path}")
    if path.suffix.lower() == ".parquet":
        from fla_encoders.data.frames import frame_table

        return frame_table(read_parquet(path), str(path))
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return standard_csv_table(path)
    return arrow_csv_table(path)


def read_parquet(path: Path):
    try:
        import pandas
    except ImportError as exc:
        raise PanelFormatError(f"path: reading {path} needs pandas and pyarrow: {EXTRA}") from exc
    return pandas.read_parquet(path)


def column_names(source) -> List[str]:
    """The column names of ``source`` (a path or a DataFrame), reading only what they need."""
    if is_frame(source):
        return read_table(source).names
    if Path(source).suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet
        except ImportError as exc:
            raise PanelFormatError(f"path: reading {source} needs pyarrow: {EXTRA}") from exc
        return pyarrow.parquet.read_schema(source).names
    records = csv_records(Path(source))
    return next(records, (1, []))[1]


def csv_records(path: Path) -> Iterator[Tuple[int, List[str]]]:
    """``(line, fields)`` of each record of a CSV file (UTF-8, a BOM allowed), blank lines
    skipped; ``line`` is where the record starts."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            start = 1
            for fields in reader:
                if fields:
                    yield start, [value.strip() for value in fields]
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise PanelFormatError(f"{path}: not UTF-8 text ({exc})") from exc
    except csv.Error as exc:
        raise PanelFormatError(f"{path}, line {reader.line_num}: {exc}") from exc


def standard_csv_table(path: Path) -> Table:
    """The table of a CSV file, read with the standard library."""
    records = csv_records(path)
    header = next(records, None)
    if header is None:
        raise PanelFormatError(f"{path}: the file is empty; expected a header line")
    lines, rows = [], []
    for line, fields in records:
        if len(fields) != len(header[1]):
            raise PanelFormatError(
                f"{path}, line {line}: {len(fields)} fields, but the header has "
                f"{len(header[1])}: {header[1]}"
            )
        lines.append(line)
        rows.append(fields)
    columns = [list(column) for column in zip(*rows)] if rows else [[] for _ in header[1]]
    return Table(str(path), header[1], columns, lambda row: f"line {lines[row]}")


def arrow_csv_table(path: Path) -> Table:
    """The table of a CSV file, read with pyarrow; the lines of rows are found only when a
    message needs them."""
    import pyarrow
    import pyarrow.csv

    header = next(csv_records(path), None)
    if header is None:
        raise PanelFormatError(f"{path}: the file is empty; expected a header line")
    as_text = {f"f{i}": pyarrow.string() for i in range(len(header[1]))}
    try:
        read = pyarrow.csv.read_csv(
            path,
            read_options=pyarrow.csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pyarrow.csv.ParseOptions(newlines_in_values=True),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types=as_text,
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pyarrow.ArrowInvalid as exc:
        standard_csv_table(path)  # names the line of a row with too many or too few fields
        raise PanelFormatError(f"{path}: {exc}") from exc
    if read.num_columns != len(header[1]):  # pyarrow split the header otherwise
        return standard_csv_table(path)
    columns = [
        [value.strip() for value in read.column(i).to_pylist()] for i in range(len(header[1]))
    ]
    lines: List[int] = []

    def place(row: int) -> str:
        if not lines:
            lines.extend(line for line, _ in csv_records(path))
        return f"line {lines[row + 1]}"

    return Table(str(path), [column[0] for column in columns], [c[1:] for c in columns], place)
