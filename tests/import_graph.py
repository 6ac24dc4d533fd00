"""The import graph of a package, read from its source with ``ast`` (nothing is imported), and
the check that its layers import only downward."""

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

Import = Tuple[Path, int, str]
"""``(file, line, imported module)``."""


def module_name(path: Path, root: Path) -> str:
    """``myfla/ops/gla/chunk.py`` under ``root`` -> ``myfla.ops.gla.chunk``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(package_dir: Path) -> Iterator[Tuple[str, Import]]:
    """``(importing module, (file, line, imported module))`` for every import statement under
    ``package_dir``, function-level ones included; relative imports resolved."""
    root = package_dir.parent
    for path in sorted(package_dir.rglob("*.py")):
        importer = module_name(path, root)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield importer, (path, node.lineno, alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:  # `from pkg import name`: pkg.name, module or not
                    yield importer, (path, node.lineno, f"{target}.{alias.name}")


def layer_of(module: str, layers: Sequence[Tuple[str, Sequence[str]]]) -> int:
    """Index of the layer whose prefix matches ``module`` longest; -1 if none does."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def upward_imports(
    package_dir: Path, layers: Sequence[Tuple[str, Sequence[str]]], forbidden: Sequence[str] = ()
) -> List[str]:
    """Every import under ``package_dir`` that runs upward (from layer i to a layer above i), of
    a ``forbidden`` top-level package, or from a module that no layer holds.

    ``layers``: bottom to top, ``(name, module prefixes)``; imports outside every layer's
    prefixes (torch, the standard library) are free unless ``forbidden``.
    """
    problems: List[str] = []
    own: Dict[str, int] = {}
    for importer, (path, line, target) in imports(package_dir):
        where = f"{path.relative_to(package_dir.parent)}:{line}"
        if target.split(".")[0] in forbidden:
            problems.append(f"{where} imports {target}, which the package must never import")
            continue
        if importer not in own:
            own[importer] = layer_of(importer, layers)
            if own[importer] < 0:
                problems.append(f"{where}: module {importer} belongs to no layer")
        to = layer_of(target, layers)
        if own[importer] >= 0 and to > own[importer]:
            problems.append(
                f"{where}: {importer} (layer {layers[own[importer]][0]}) imports {target} "
                f"(layer {layers[to][0]}, above it)"
            )
    return sorted(set(problems))
