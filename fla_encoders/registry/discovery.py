"""Encoders by name: registered in code, or discovered through the entry-point group.

Rules (docs/plugins.md):

- Listing reads entry-point metadata only; an encoder's module is imported on its first ``get``
  or ``create``. ``refresh()`` forgets what was read, after installing or removing plugins.
- A name provided by several entry points is taken from the built-in distribution
  (fla-encoders) first, then from the distribution whose name sorts first; a warning names them
  all. ``prefer(name, distribution)`` chooses explicitly.
- ``register(name)`` refuses a name already provided by another class unless ``override=True``;
  an in-code registration comes before every entry point.
- An encoder that fails to load (any exception at import, ``SystemExit`` included; only
  ``KeyboardInterrupt`` still stops the process) is reported with a warning naming its
  distribution and the cause; ``get``/``create`` of it raise ``EncoderLoadError`` chained to the
  cause. Others are unaffected.
"""

import difflib
import importlib
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Type, TypeVar

from fla_encoders.registry.contract import FLAEncoderStrategy
from fla_encoders.registry.errors import EncoderLoadError, EncoderPluginWarning, UnknownEncoderError

if sys.version_info >= (3, 10):
    from importlib.metadata import entry_points
else:  # the selection API (entry_points(group=...)) and EntryPoint.dist
    from importlib_metadata import entry_points

ENTRY_POINT_GROUP = "fla_encoders.strategies"
BUILTIN_DISTRIBUTION = "fla-encoders"

E = TypeVar("E", bound=Type[FLAEncoderStrategy])


def normalize(distribution: str) -> str:
    """A distribution name in its canonical form (PEP 503): ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


@dataclass(frozen=True)
class Provider:
    """One source of an encoder name: an entry point of a distribution, or an in-code class."""

    name: str
    target: str  # "module:Class"
    distribution: Optional[str]  # None for an in-code registration
    load: Callable[[], Any] = field(compare=False, repr=False)

    def describe(self) -> str:
        origin = f"distribution {self.distribution!r}" if self.distribution else "in-code"
        return f"{origin} ({self.target})"


class EncoderRegistry:
    """Encoders by name, from ``register`` calls and from the entry points of ``group``."""

    def __init__(self, group: str = ENTRY_POINT_GROUP):
        self.group = group
        self._registered: Dict[str, Provider] = {}
        self._preferred: Dict[str, str] = {}
        self._discovered: Optional[Dict[str, List[Provider]]] = None
        self._loaded: Dict[Provider, Any] = {}  # Provider -> class, or the exception it raised
        self._collisions_reported: Set[str] = set()

    def register(self, name: str, *, override: bool = False) -> Callable[[E], E]:
        """Class decorator: make a ``FLAEncoderStrategy`` subclass available as ``name``."""
        if not isinstance(name, str) or not name or name.strip() != name:
            raise ValueError(
                f"register(name): expected a non-empty str without surrounding "
                f"whitespace, got {name!r}"
            )

        def decorator(cls: E) -> E:
            if not (isinstance(cls, type) and issubclass(cls, FLAEncoderStrategy)):
                raise TypeError(
                    f"register({name!r}): expected a subclass of FLAEncoderStrategy, got {cls!r}"
                )
            provider = Provider(name, f"{cls.__module__}:{cls.__qualname__}", None, lambda: cls)
            taken = [p for p in self._candidates(name) if p.target != provider.target]
            if taken and not override:
                raise ValueError(
                    f"register({name!r}): the name is already provided by "
                    f"{', '.join(p.describe() for p in taken)}; pass override=True "
                    f"to use {provider.target} instead"
                )
            self._registered[name] = provider
            return cls

        return decorator

    def list_available(self) -> List[str]:
        """Sorted names of every encoder, without importing any plugin."""
        return sorted(set(self._registered) | set(self._entry_points()))

    def providers(self, name: str) -> List[Provider]:
        """Every source of ``name``, the one ``get(name)`` uses first."""
        found = self._candidates(name)
        if not found:
            raise self._unknown(name)
        preferred = self._preferred.get(name)
        if preferred:  # a stable sort: the preferred distribution first, the rest in rule order
            found.sort(key=lambda p: normalize(p.distribution or "") != preferred)
        return found

    def prefer(self, name: str, distribution: str) -> None:
        """Resolve ``name`` to the entry point of ``distribution``, whatever else provides it."""
        providers = self.providers(name)
        if not any(
            p.distribution and normalize(p.distribution) == normalize(distribution)
            for p in providers
        ):
            raise ValueError(
                f"prefer({name!r}, distribution={distribution!r}): that distribution "
                f"does not provide {name!r}; its providers are "
                f"{', '.join(p.describe() for p in providers)}"
            )
        self._preferred[name] = normalize(distribution)

    def get(self, name: str) -> Type[FLAEncoderStrategy]:
        """The encoder class for ``name``, importing its module on first use."""
        providers = self.providers(name)
        chosen = providers[0]
        collision = len(providers) > 1 and chosen.distribution and name not in self._preferred
        if collision and name not in self._collisions_reported:
            self._collisions_reported.add(name)
            warnings.warn(
                f"encoder {name!r} is provided by {', '.join(p.describe() for p in providers)}; "
                f"using {chosen.describe()} (the built-in {BUILTIN_DISTRIBUTION!r} comes first, "
                f"then distribution names in alphabetical order); choose with "
                f"prefer({name!r}, <distribution>)",
                EncoderPluginWarning,
                stacklevel=2,
            )
        return self._load(chosen)

    def create(self, name: str, **kwargs: Any) -> FLAEncoderStrategy:
        """An instance of the encoder ``name``, constructed with ``kwargs``."""
        cls = self.get(name)
        encoder = cls(**kwargs)
        output_dim = getattr(encoder, "output_dim", None)
        if not isinstance(output_dim, int) or isinstance(output_dim, bool):
            raise TypeError(
                f"encoder {name!r} ({cls.__module__}:{cls.__qualname__}) must set an "
                f"integer `output_dim` in __init__, got {output_dim!r}"
            )
        return encoder

    def refresh(self) -> None:
        """Forget the entry points read and the plugins loaded, e.g. after installing a plugin."""
        importlib.invalidate_caches()
        self._discovered = None
        self._loaded.clear()
        self._collisions_reported.clear()

    def _candidates(self, name: str) -> List[Provider]:
        if not isinstance(name, str):
            raise TypeError(f"encoder name: expected a str, got {name!r}")
        found = [self._registered[name]] if name in self._registered else []
        return found + self._entry_points().get(name, [])

    def _entry_points(self) -> Dict[str, List[Provider]]:
        """Entry-point providers by name, in rule order; read once from metadata, never imported."""
        if self._discovered is None:
            found: Dict[str, List[Provider]] = {}
            for ep in entry_points(group=self.group):
                provider = Provider(ep.name, ep.value, ep.dist.name, ep.load)
                found.setdefault(ep.name, []).append(provider)
            for providers in found.values():
                providers.sort(
                    key=lambda p: (
                        normalize(p.distribution) != BUILTIN_DISTRIBUTION,
                        normalize(p.distribution),
                    )
                )
            self._discovered = found
        return self._discovered

    def _load(self, provider: Provider) -> Type[FLAEncoderStrategy]:
        if provider not in self._loaded:
            try:
                obj = provider.load()
                if not (isinstance(obj, type) and issubclass(obj, FLAEncoderStrategy)):
                    raise TypeError(
                        f"{provider.target} is {obj!r}, not a subclass of FLAEncoderStrategy"
                    )
                self._loaded[provider] = obj
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # a plugin may raise anything, exit too: spare the host
                self._loaded[provider] = exc
                warnings.warn(self._load_failure(provider, exc), EncoderPluginWarning, stacklevel=3)
        loaded = self._loaded[provider]
        if isinstance(loaded, BaseException):
            raise EncoderLoadError(self._load_failure(provider, loaded)) from loaded
        return loaded

    @staticmethod
    def _load_failure(provider: Provider, exc: BaseException) -> str:
        return (
            f"encoder {provider.name!r} from {provider.describe()} could not be loaded: "
            f"{type(exc).__name__}: {exc}"
        )

    def _unknown(self, name: str) -> UnknownEncoderError:
        available = self.list_available()
        if not available:
            return UnknownEncoderError(
                f"unknown encoder {name!r}: no encoder is registered in code or installed in "
                f"entry-point group {self.group!r} (call refresh() after installing one)"
            )
        closest = difflib.get_close_matches(name, available, n=3)
        hint = f"; closest: {', '.join(closest)}" if closest else ""
        return UnknownEncoderError(
            f"unknown encoder {name!r}{hint}; available: {', '.join(available)}"
        )


FLAEncoderFactory = EncoderRegistry()
"""The process-wide registry of the ``fla_encoders.strategies`` group (the name the product's
first documents gave it)."""
