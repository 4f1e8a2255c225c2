"""The import rules of the architecture, checked on the source (run by ``nox -s lint``).

1. The core never imports a plugin.
2. A plugin's package (plugins/*/<package>, tests/example_plugin/<package>) imports from the
   core only its public modules: ``helios_core`` itself, ``session``, ``hookspecs``, ``errors``,
   ``auth``, ``testing``, ``types``, ``copy_csv``, ``parallel``.
3. No private names across packages: ``from x import _name`` and ``module._name`` are allowed
   only within one package (``helios_core.sql``, ``helios_core.storage``, ..., a plugin).
4. No import cycles between the core's packages at module level (imports inside functions,
   used to break cycles, are counted by rule 5 instead).
5. The number of function-level imports of project modules may only go down: the count is kept
   in ``tools/import_ratchet.json``; lower it there when it drops (``--update`` writes it).

Exit status 1 and one line per violation when a rule is broken.

    python tools/check_imports.py            # check
    python tools/check_imports.py --update   # record a lower function-level import count
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
CORE = "helios_core"
PUBLIC = {CORE, f"{CORE}.session", f"{CORE}.hookspecs", f"{CORE}.errors", f"{CORE}.auth",
          f"{CORE}.testing", f"{CORE}.types", f"{CORE}.copy_csv",
          f"{CORE}.parallel"}


@attrs.define
class Module:
    name: str  # dotted module name
    path: Path
    package: str  # the unit rules 3 and 4 reason about
    is_plugin: bool


@attrs.define
class Import:
    module: Module
    target: str  # dotted module imported (or imported from)
    names: list[str]  # names imported from it ([] for "import x")
    line: int
    in_function: bool
    type_checking: bool


def package_of(name: str, root: Path = ROOT) -> str:
    """helios_core.sql.planner.builder -> helios_core.sql; a module at the core's top is a unit of
    its own (helios_core.engine); helios_protocol_pg.connection -> helios_protocol_pg."""
    parts = name.split(".")
    if parts[0] == CORE:
        return ".".join(parts[:2])
    return parts[0]


def discover(root: Path) -> list[Module]:
    roots: list[tuple[Path, bool]] = [(root / CORE, False)]
    for pyproject in sorted((root / "plugins").glob("*/pyproject.toml")):
        roots.extend((p, True) for p in sorted(pyproject.parent.iterdir())
                     if p.is_dir() and (p / "__init__.py").exists())
    example = root / "tests" / "example_plugin"
    if example.is_dir():
        roots.extend((p, True) for p in sorted(example.iterdir()) if p.is_dir() and (p / "__init__.py").exists())
    out = []
    for package_dir, is_plugin in roots:
        for path in sorted(package_dir.rglob("*.py")):
            rel = path.relative_to(package_dir.parent).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            out.append(Module(name=name, path=path, package=package_of(name, root), is_plugin=is_plugin))
    return out


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if module.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: Module, tree: ast.Module) -> Iterator[Import]:
    def walk(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, [], child.lineno, in_function, type_checking)
            elif isinstance(child, ast.ImportFrom):
                yield Import(module, _resolve(module, child), [a.name for a in child.names], child.lineno,
                             in_function, type_checking)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, True, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from walk(child, in_function, True)
            else:
                yield from walk(child, in_function, type_checking)

    yield from walk(tree, False, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def is_project(target: str, tops: set[str]) -> bool:
    return target.split(".")[0] in tops


def private_attribute_uses(module: Module, tree: ast.Module, modules: dict[str, Module], root: Path
                           ) -> Iterator[str]:
    """``alias._name`` where alias is bound by an import to a project module of another package."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    bound[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    bound[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            target = bound[node.value.id]
            if node.attr.startswith("_") and not node.attr.startswith("__") and \
                    modules[target].package != module.package:
                yield f"{module.path.relative_to(root)}:{node.lineno}: private name {target}.{node.attr}"


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check(root: Path = ROOT) -> tuple[list[str], int]:
    """The violations of rules 1-4 and the number of function-level imports of project modules."""
    modules = {m.name: m for m in discover(root)}
    tops = {name.split(".")[0] for name in modules}
    plugin_tops = {m.name.split(".")[0] for m in modules.values() if m.is_plugin}
    problems: list[str] = []
    function_level = 0
    edges: dict[str, set[str]] = {}
    for m in modules.values():
        tree = ast.parse(m.path.read_text(), filename=str(m.path))
        where = m.path.relative_to(root)
        for imp in imports_of(m, tree):
            if not is_project(imp.target, tops):
                continue
            if imp.in_function:
                function_level += 1
            top = imp.target.split(".")[0]
            if not m.is_plugin and top in plugin_tops:
                problems.append(f"{where}:{imp.line}: the core imports plugin module {imp.target}")
            if m.is_plugin and top == CORE and not imp.type_checking:
                targets = [imp.target] if not imp.names else [
                    f"{imp.target}.{n}" if f"{imp.target}.{n}" in modules else imp.target for n in imp.names]
                for target in targets:
                    if target not in PUBLIC:
                        problems.append(f"{where}:{imp.line}: plugin imports private core module {target} "
                                        f"(public: {', '.join(sorted(PUBLIC))})")
            target_pkg = package_of(imp.target, root)
            for n in imp.names:
                if n.startswith("_") and not n.startswith("__") and target_pkg != m.package:
                    problems.append(f"{where}:{imp.line}: private name {imp.target}.{n} imported across packages")
            if not imp.in_function and not imp.type_checking and target_pkg != m.package and top == CORE \
                    and m.package.startswith(CORE):
                edges.setdefault(m.package, set()).add(target_pkg)
        problems.extend(private_attribute_uses(m, tree, modules, root))
    for cycle in find_cycles(edges):
        problems.append(f"import cycle between packages at module level: {' <-> '.join(cycle)}")
    return problems, function_level


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record the current function-level import count")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to check (default: this one)")
    args = parser.parse_args()
    root = args.root.resolve()
    ratchet = root / "tools" / "import_ratchet.json"
    problems, function_level = check(root)
    recorded = json.loads(ratchet.read_text())["function_level_imports"] if ratchet.exists() else None
    if args.update:
        if recorded is not None and function_level > recorded:
            problems.append(f"function-level imports went up: {function_level} > {recorded}; not recording")
        else:
            ratchet.parent.mkdir(parents=True, exist_ok=True)
            ratchet.write_text(json.dumps({"function_level_imports": function_level}, indent=2) + "\n")
            print(f"recorded {function_level} function-level imports of project modules")
    elif recorded is None:
        problems.append(f"{ratchet} is missing (run with --update)")
    elif function_level > recorded:
        problems.append(f"function-level imports of project modules went up: {function_level} > {recorded} "
                        f"(import at module level, or move the code so no cycle needs hiding)")
    elif function_level < recorded:
        print(f"function-level imports went down to {function_level} (from {recorded}): "
              f"run `python tools/check_imports.py --update` to lock that in")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
