"""Test-session setup shared by every test folder."""

from tests.golden import golden_dir


def pytest_report_header(config):
    """Say where the golden fixtures come from, or that the tests needing them will skip."""
    folder = golden_dir()
    if folder is None:
        return (
            "golden fixtures: not found (../shared/golden beside the clone, or "
            "$MYFLA_GOLDEN_DIR); tests that need them skip"
        )
    return f"golden fixtures: {folder}"
