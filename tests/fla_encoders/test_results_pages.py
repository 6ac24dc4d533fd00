"""Every results page under docs/results/ is what `fla-encoders report` makes of its JSON."""

from pathlib import Path

import pytest

from fla_encoders.experiments.report import regenerate

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"
PAGES = sorted(RESULTS.glob("*.json"))


@pytest.mark.parametrize("results", PAGES, ids=[p.stem for p in PAGES])
def test_the_committed_page_is_what_the_code_makes_of_its_json(results, tmp_path):
    pytest.importorskip("matplotlib", reason="the pages link their plots (fla-encoders[plots])")
    page = results.with_suffix(".md")
    written = regenerate(results, tmp_path / page.name)
    assert (tmp_path / page.name).read_text() == page.read_text()
    assert {p.name for p in written[1:]} <= {p.name for p in RESULTS.glob(f"{page.stem}-*.png")}


def test_there_is_a_page():
    assert PAGES, f"no results JSON in {RESULTS}"
