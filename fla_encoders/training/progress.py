"""Progress bars through tqdm when it is installed (extra ``fla-encoders[progress]``)."""

from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], enabled: bool, description: str, total: int) -> Iterator[T]:
    """``items``, shown as a tqdm bar when ``enabled`` and tqdm is importable."""
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return iter(tqdm(items, desc=description, total=total, leave=False))
    return iter(items)
