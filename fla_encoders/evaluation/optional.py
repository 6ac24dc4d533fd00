"""The optional statistics libraries (extra ``fla-encoders[stats]``): numpy, scipy, statsmodels.

A module that needs them imports them at its top, inside ``try``, and raises
``missing_stats(exc)`` on ImportError; only ``fla_encoders.evaluation.gain`` and
``fla_encoders.evaluation.factor`` do, and nothing imports those two unless asked to.
"""

STATS_EXTRA = "pip install 'fla-encoders[stats]'"


def require_stats() -> None:
    """Import the statistics libraries, or raise ``missing_stats``."""
    try:
        import numpy  # noqa: F401
        import scipy.stats  # noqa: F401
        import statsmodels  # noqa: F401
    except ImportError as exc:
        raise missing_stats(exc) from exc


def missing_stats(exc: ImportError) -> ImportError:
    """The ImportError to raise when a statistics library is missing, saying how to get it."""
    name = getattr(exc, "name", None) or "a statistics library"
    return ImportError(
        f"{name} is not installed: the gain statistics and factor tables of "
        f"fla_encoders.evaluation need numpy, scipy and statsmodels ({STATS_EXTRA})"
    )
