"""Run the recipes of a document that carry a tag, in the environment they need:

    python run_recipes.py DOC TAG WORK_FOLDER

The blocks are the fenced ones whose info string is ``<language> <tag>`` (```` ```python qlib ````),
in order; tests/fla_encoders/test_docs_ecosystem.py runs the untagged ones. Python blocks run in
one namespace in the working directory, their output captured; YAML blocks are parsed. Writes
WORK_FOLDER/report.json: ``printed`` (the lines printed), ``said`` (what each
``print(...)  # comment`` says it prints) and ``yaml`` (the parsed YAML blocks).
"""

import contextlib
import io
import json
import re
import sys
from pathlib import Path


def tagged_blocks(text: str, tag: str):
    """``(language, code)`` of each block fenced as ```` ```<language> <tag> ````."""
    return re.findall(rf"```(\w+) {re.escape(tag)}\n(.*?)```", text, flags=re.S)


def main(doc: str, tag: str, folder: str) -> None:
    report = {"printed": [], "said": [], "yaml": []}
    namespace = {}
    for language, code in tagged_blocks(Path(doc).read_text(), tag):
        if language == "yaml":
            from ruamel.yaml import YAML

            report["yaml"].append(YAML(typ="safe", pure=True).load(code))
            continue
        assert language == "python", language
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, doc, "exec"), namespace)
        report["printed"] += printed.getvalue().splitlines()
        report["said"] += re.findall(r"^print\(.*\)  # (.*)$", code, flags=re.M)
    (Path(folder) / "report.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
