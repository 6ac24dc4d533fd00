"""Command line: ``python -m fla_encoders list [--check]``."""

import argparse
import warnings
from typing import Optional, Sequence

from fla_encoders.errors import EncoderLoadError, EncoderPluginWarning
from fla_encoders.registry import FLAEncoderFactory


def list_encoders(check: bool) -> int:
    """Print every encoder name and where it comes from; with ``check``, load each one.

    Returns 1 if a checked encoder fails to load, else 0.
    """
    names = FLAEncoderFactory.list_available()
    if not names:
        print(
            f"no encoders: none registered in code and none installed in entry-point group "
            f"{FLAEncoderFactory.group!r}"
        )
        return 0
    rows = [["NAME", "DISTRIBUTION", "TARGET"] + (["STATUS"] if check else [])]
    failed = False
    for name in names:
        for rank, provider in enumerate(FLAEncoderFactory.providers(name)):
            row = [name, provider.distribution or "(in-code)", provider.target]
            if rank:
                row[0] = ""
                row += ["shadowed"] if check else []
            elif check:
                status = load_status(name)
                failed = failed or status != "ok"
                row.append(status)
            rows.append(row)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return int(failed)


def load_status(name: str) -> str:
    """``"ok"`` if ``name`` loads, else ``"failed: <cause>"`` (the table replaces the warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EncoderPluginWarning)
        try:
            FLAEncoderFactory.get(name)
        except EncoderLoadError as exc:
            return f"failed: {type(exc.__cause__).__name__}: {exc.__cause__}"
    return "ok"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fla_encoders", description="Inspect the available fla_encoders encoders."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list the encoders (reads metadata only)")
    listing.add_argument(
        "--check", action="store_true", help="also import each encoder and report those that fail"
    )
    args = parser.parse_args(argv)
    return list_encoders(args.check)
