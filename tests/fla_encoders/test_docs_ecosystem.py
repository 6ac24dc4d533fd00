"""The recipes of docs/ecosystem.md run as written, in order, and print what they say."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from fla_encoders.cli import main

pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

DOC = Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md"


def blocks():
    """``(language, code)`` of each fenced block of the document, in order."""
    return re.findall(r"```(\w+)\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_pandas_recipes_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for language, code in blocks():
        if language == "bash":
            for line in code.splitlines():
                assert line.startswith("fla-encoders "), line
                assert main(shlex.split(line)[1:]) == 0
            continue
        assert language == "python"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(DOC), "exec"), namespace)
        said = re.findall(r"^print\(.*\)  # (.*)$", code, flags=re.M)
        assert printed.getvalue().splitlines() == said
