"""The package's tree shows its stages, and data flows up the floors: no lower floor imports a
higher one, and no module imports itself through others (no import circles)."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "synthrecords"

# Lowest first. A module may import modules of its own floor or below, never above.
FLOORS = [
    ("base", ["errors", "interrupt", "atomic", "config", "engines", "read", "domain", "resources", "progress"]),
    ("pii", ["pii"]),
    ("privacy", ["privacy"]),
    ("models", ["models"]),
    # The sampler's filter applies the expectation suites, so validation sits below sampling.
    ("validation", ["validation"]),
    ("sample", ["sample", "constraints", "formula", "lookups"]),
    ("synthesizer", ["synthesizer"]),
    ("release", ["release"]),
    ("job", ["job"]),
    ("spark", ["spark"]),
    ("pipeline", ["pipeline", "audit"]),  # the audit fits models: it sits beside the pipeline
    ("face", ["cli", "dashboard", "__init__", "__main__"]),
]
STAGES = ("pii", "privacy", "models", "validation", "release")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    for i, (_, members) in enumerate(FLOORS):
        if key in members:
            return i
    raise AssertionError(f"{module} is on no floor: add it to FLOORS in {__file__}")


def imports(path: Path) -> set[str]:
    """Every synthrecords module ``path`` imports, at the top or inside functions (not under
    ``if TYPE_CHECKING``: those never run)."""
    tree = ast.parse(path.read_text())
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in modules and m != own}


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def test_the_tree_has_a_folder_per_stage_each_saying_what_it_does():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), f"synthrecords/{stage}/ is missing"
        assert len(ast.get_docstring(ast.parse(init.read_text())) or "") > 80, f"{init} does not say what the stage does"
    flat = [p.stem for p in PACKAGE.glob("*.py")]
    assert not [n for n in flat if n.startswith(("pii_", "dp_", "report_"))], "prefix families belong in a stage folder"


def test_no_module_imports_a_higher_floor():
    # ``from .. import __version__`` names the package itself, which every import runs first anyway.
    wrong = [(m, i) for m, deps in graph().items() for i in deps if i != "synthrecords" and floor(i) > floor(m)]
    assert not wrong, f"lower floors import higher ones: {wrong}"


def test_there_are_no_import_circles():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(g[node]):
            # The package __init__ is the face: every submodule import runs it first, so edges
            # into it are Python's mechanics, not the design's.
            if nxt == "synthrecords":
                continue
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(g):
        if module not in state:
            walk(module, [module])
    assert not cycles, f"import circles: {cycles}"


def test_every_module_imports_in_a_fresh_interpreter_lowest_floor_first():
    # A module that only imports because a higher one happened to be imported first fails here.
    names = sorted((module_name(p) for p in PACKAGE.rglob("*.py")), key=lambda m: (floor(m), m))
    names = [m for m in names if m != "synthrecords.__main__"]
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
