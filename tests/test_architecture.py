"""The house keeps its shape: rooms follow the pipeline, imports point down it, no circles.

Reads the source with :mod:`ast` (imports inside functions count too; ``if TYPE_CHECKING:``
blocks, which never run, do not). ARCHITECTURE.md draws the same layers.
"""

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "monkeypower"

# Bottom to top: a module may import its own room and the rooms below it, never above.
LAYERS = [
    ("errors", "version", "seeding", "intervals", "threads", "lazy_jax", "arguments",
     "presentation"),
    ("families",),
    ("data",),
    ("estimands",),
    ("fitting",),
    ("evaluation",),
    ("output",),
    ("cli", "cli_entry", "cli_options", "cli_validation", "__init__"),
]
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    name = ".".join(parts)
    return name.removesuffix(".__init__")


def room(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}
MODULE_NAMES = set(MODULES)


def imports(path: pathlib.Path, name: str | None = None) -> list[tuple[str, list[str], bool]]:
    """(module imported, names imported, inside a function?) for each package import."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    in_function = {id(n) for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(node)}
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if base.split(".")[0] == "monkeypower":
                inside = id(node) in in_function
                submodules = [a.name for a in node.names if f"{base}.{a.name}" in MODULE_NAMES]
                found += [(f"{base}.{sub}", [], inside) for sub in submodules]
                names = [a.name for a in node.names if a.name not in submodules]
                if names:
                    found.append((base, names, inside))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "monkeypower":
                    found.append((alias.name, [], id(node) in in_function))
    return found




def test_every_room_has_a_layer():
    assert {room(m) for m in MODULES} <= set(RANK), sorted({room(m) for m in MODULES} - set(RANK))


def upward_imports(module: str, path: pathlib.Path) -> list[str]:
    here = RANK[room(module)]
    return [target for target, _, _ in imports(path, module)
            if module != "monkeypower" and RANK[room(target)] > here]


def function_imports(module: str, path: pathlib.Path) -> list[str]:
    return [target for target, _, in_function in imports(path, module) if in_function]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_pipeline(module):
    assert not upward_imports(module, MODULES[module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_imports_inside_functions(module):
    assert not function_imports(module, MODULES[module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_private_names_stay_in_their_folder(module):
    folder = module.rsplit(".", 1)[0] if MODULES[module].name != "__init__.py" else module
    for target, names, _ in imports(MODULES[module]):
        target_folder = target.rsplit(".", 1)[0]
        private_module = any(part.startswith("_") for part in target.split(".")[1:])
        private_names = [n for n in names if n.startswith("_") and n != "__version__"]
        if target_folder != folder and not target.startswith(folder + "."):
            assert not private_module, f"{module} reaches into private module {target}"
            assert not private_names, f"{module} imports private {private_names} from {target}"


def test_no_import_circles():
    graph = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, names, _ in imports(path):
            candidates = [target] + [f"{target}.{n}" for n in names]
            graph[module] |= {c for c in candidates if c in MODULES and c != module
                              and not module.startswith(c + ".")}

    def reaches(start, goal):
        todo, seen = [start], {start}
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            for nxt in graph[node] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return False

    circles = [(a, b) for a in graph for b in graph[a] if reaches(b, a)]
    assert not circles, circles


def test_negative_control_upward_and_hidden_imports_are_caught(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import monkeypower.data.passk\n\n\ndef f():\n"
                   "    from monkeypower.output import figures\n")
    assert upward_imports("monkeypower.fitting.bad", bad) == ["monkeypower.output.figures"]
    assert function_imports("monkeypower.fitting.bad", bad) == ["monkeypower.output.figures"]
    assert upward_imports("monkeypower.output.bad", bad) == []
