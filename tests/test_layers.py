"""The layers point one way, and no module imports itself round in a circle.

oversight (settings, auth, permission primitives, the audit engine) < trusts < indicators <
ingest < actions < dashboard: a module may import from its own layer and those below it, never
from one above, not even inside a function (a lazy import hides the dependency, it does not
remove it). Apps not present yet are skipped. The project's wiring in oversight (URL maps,
settings, Celery, management commands) names every app by design and is exempt.

Read with `ast`, without importing anything, so a violation is found even in code no test runs.
A model named by string is a dependency too, though no import shows it: a relation field's
`"app.Model"` (ForeignKey, OneToOneField, ManyToManyField) and `apps.get_model("app", "Model")` count
as importing `app.models`. Migrations restate their models' fields and are not read for these.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["oversight", "trusts", "indicators", "ingest", "actions", "dashboard"]
PRESENT = [app for app in LAYERS if (ROOT / app / "__init__.py").exists()]
MAX_LINES = 600

# oversight's wiring: it puts the apps together, so it names them.
EXEMPT = {
    "oversight/urls.py": "the URL map includes every app's pages",
    "oversight/api_urls.py": "the API router registers every app's viewsets",
    "oversight/settings/": "INSTALLED_APPS, beat schedules and task routes name the apps",
    "oversight/celery.py": "the Celery app discovers every app's tasks",
    "oversight/management/commands/": "commands such as bootstrap set up the whole project",
}

# Upward imports that other changes are removing now: (importing file, imported module), one reason each.
# The list may only shrink: test_every_allowed_upward_import_still_occurs fails on a stale entry.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}

# Models named by string from a layer below, where the reference is inherent: {(file, "app.Model"): reason}.
# The list may only shrink: test_every_allowed_model_reference_still_occurs fails on a stale entry.
ALLOWED_MODEL_REFERENCES: dict[tuple[str, str], str] = {
    ("trusts/models.py", "indicators.Indicator"): (
        "an exit criterion (an episode's record, kept, edited, approved and audited with its stocktakes, funding "
        "and notes in trusts) names the indicator it is measured by; trusts' form and serializer reach the "
        "catalogue only through this relation (its related_model), never by importing indicators"
    ),
    ("trusts/models.py", "indicators.ImportBatch"): (
        "provenance: a segment or a CQC rating loaded from a file records the import batch that loaded it "
        "(import batches live with the importers above trusts); nothing in trusts reads the batch"
    ),
}

RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}

# Circles within an app (its modules, sorted) being broken now, one reason each: at load time, and
# through imports inside functions (which only hide a circle).
ALLOWED_CIRCLES: dict[tuple[str, ...], str] = {}
ALLOWED_LAZY_CIRCLES = {
    (
        "indicators.recompute",
        "indicators.recompute.parts",
        "indicators.recompute.programme",
        "indicators.recompute.run",
        "indicators.recompute.store",
        "indicators.tasks",
    ): "tasks call the recompute, which queues its follow-ups through tasks",
}

# Modules over MAX_LINES being split now: {path: their line count today}. A file may shrink, never grow;
# one that drops to MAX_LINES or under must leave this list.
ALLOWED_LONG: dict[str, int] = {}


@dataclass(frozen=True)
class Import:
    """One import statement: the file it is in (and its module), the module it names, its line, and whether
    it sits in a function."""

    path: str
    module: str
    target: str
    line: int
    lazy: bool
    model: str = ""  # "app.Model" when the dependency is a model named by string, not an import


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports_in(source: str, path: str, *, root: Path = ROOT) -> list[Import]:
    """Every import in `source` (the file at `path`, relative to `root`), relative ones resolved.

    `from package import name` counts as importing the submodule `package.name` when there is one.
    """
    name = module_name(root / path, root)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # imports for type hints only: never run, so they neither layer nor circle
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend(Import(path, name, alias.name, child.lineno, lazy) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                for alias in child.names:
                    submodule = f"{target}.{alias.name}"
                    target_module = submodule if _is_module(submodule, root) else target
                    found.append(Import(path, name, target_module, child.lineno, lazy))
            elif isinstance(child, ast.Call) and not is_migration:
                label = _model_named(child)
                if label:
                    found.append(Import(path, name, f"{label.split('.')[0]}.models", child.lineno, lazy, label))
            visit(child, inner)

    is_migration = "migrations" in Path(path).parts
    visit(ast.parse(source, filename=path), False)
    return found


def _model_named(call: ast.Call) -> str:
    """The "app.Model" a relation field or `get_model` call names by string literal ("" when none, or "self")."""
    function = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    strings = [arg.value for arg in call.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    if function in RELATION_FIELDS:
        to = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "to"), None)
        named = to.value if isinstance(to, ast.Constant) and isinstance(to.value, str) else ""
        return named if "." in named else ""
    if function == "get_model" and strings:
        label = ".".join(strings[:2]) if len(strings) >= 2 else strings[0]
        return label if "." in label else ""
    return ""


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _layer(module: str) -> int | None:
    top = module.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def _exempt(path: str) -> bool:
    return any(path == rule or (rule.endswith("/") and path.startswith(rule)) for rule in EXEMPT)


def upward_imports(imports: list[Import]) -> list[Import]:
    """The imports of a module from a layer above its own."""
    upward = []
    for item in imports:
        own, theirs = _layer(item.module), _layer(item.target)
        if own is not None and theirs is not None and theirs > own and not _exempt(item.path):
            upward.append(item)
    return upward


def circles(imports: list[Import], *, lazy: bool = False) -> list[tuple[str, ...]]:
    """Groups of modules of one app that import each other round in a circle: when loaded, or with `lazy`
    counting the imports inside functions too."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        source = item.module
        graph.setdefault(source, set())
        same_app = item.target.split(".")[0] == source.split(".")[0]
        if (lazy or not item.lazy) and same_app and item.target != source and not item.model:
            graph[source].add(item.target)
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(tuple(sorted(group)))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def _sources() -> list[Path]:
    return sorted(path for app in PRESENT for path in (ROOT / app).rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def every_import() -> list[Import]:
    return [item for path in _sources() for item in imports_in(path.read_text(), _relative(path))]


def _allowed(item: Import) -> bool:
    if item.model:
        return (item.path, item.model) in ALLOWED_MODEL_REFERENCES
    return (item.path, item.target) in ALLOWED_UPWARD


def _said(item: Import) -> str:
    what = f"names the model {item.model} by string" if item.model else f"imports {item.target}"
    return f"{item.path}:{item.line} {what}{' (inside a function)' if item.lazy else ''}"


def test_no_module_imports_from_a_layer_above_its_own(every_import):
    found = [item for item in upward_imports(every_import) if not _allowed(item)]
    assert not found, "Upward imports:\n" + "\n".join(_said(item) for item in found)


def test_every_allowed_upward_import_still_occurs(every_import):
    occurring = {(item.path, item.target) for item in upward_imports(every_import) if not item.model}
    stale = sorted(set(ALLOWED_UPWARD) - occurring)
    assert not stale, f"No longer imported upward, remove from ALLOWED_UPWARD: {stale}"


def test_every_allowed_model_reference_still_occurs(every_import):
    occurring = {(item.path, item.model) for item in upward_imports(every_import) if item.model}
    stale = sorted(set(ALLOWED_MODEL_REFERENCES) - occurring)
    assert not stale, f"No longer named from below, remove from ALLOWED_MODEL_REFERENCES: {stale}"


def test_no_two_modules_of_an_app_import_each_other_in_a_circle(every_import):
    found = [group for group in circles(every_import) if group not in ALLOWED_CIRCLES]
    assert not found, "Circular imports:\n" + "\n".join(" ↔ ".join(group) for group in found)


def test_no_circle_is_hidden_behind_an_import_inside_a_function(every_import):
    found = [
        group for group in circles(every_import, lazy=True) if group not in {**ALLOWED_CIRCLES, **ALLOWED_LAZY_CIRCLES}
    ]
    assert not found, "Circular imports through lazy ones:\n" + "\n".join(" ↔ ".join(group) for group in found)


def test_every_allowed_circle_still_occurs(every_import):
    stale = sorted(set(ALLOWED_CIRCLES) - set(circles(every_import)))
    stale += sorted(set(ALLOWED_LAZY_CIRCLES) - set(circles(every_import, lazy=True)))
    assert not stale, f"No longer circular, remove from the allowed circles: {stale}"


def test_the_checker_reports_a_planted_upward_import_even_inside_a_function():
    source = "from django.db import models\n\n\ndef page():\n    from indicators.models import Indicator\n"
    found = upward_imports(imports_in(source, "oversight/planted.py"))
    assert [(item.target, item.line, item.lazy) for item in found] == [("indicators.models", 5, True)]


def test_the_checker_reports_planted_models_named_by_string_from_below():
    source = (
        "from django.apps import apps\nfrom django.db import models\n\n\n"
        "class Criterion(models.Model):\n"
        '    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.CASCADE)\n'
        '    case = OneToOneField(to="actions.OutlierCase", on_delete=models.CASCADE)\n'
        '    tags = models.ManyToManyField("dashboard.Tag")\n'
        '    successor = models.ForeignKey("self", on_delete=models.CASCADE)\n'
        '    organisation = models.ForeignKey("trusts.Organisation", on_delete=models.CASCADE)\n\n\n'
        "def later():\n"
        '    return apps.get_model("indicators", "ImportBatch"), apps.get_model("actions.Transition")\n'
    )
    found = upward_imports(imports_in(source, "trusts/planted.py"))
    assert [(item.model, item.target, item.line, item.lazy) for item in found] == [
        ("indicators.Indicator", "indicators.models", 6, False),
        ("actions.OutlierCase", "actions.models", 7, False),
        ("dashboard.Tag", "dashboard.models", 8, False),
        ("indicators.ImportBatch", "indicators.models", 14, True),
        ("actions.Transition", "actions.models", 14, True),
    ]
    assert not any(_allowed(item) for item in found)
    # A migration restates its models' fields: the models file is where the reference is judged.
    assert upward_imports(imports_in(source, "trusts/migrations/0099_planted.py")) == []


def test_the_checker_resolves_a_planted_relative_import_and_spares_a_downward_one():
    source = "from ..oversight import permissions\nfrom oversight.audit import register\n"
    assert upward_imports(imports_in(source, "trusts/planted.py")) == []


def test_the_checker_reports_planted_circles_at_load_time_and_behind_a_lazy_import(tmp_path):
    app = tmp_path / "trusts"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "first.py").write_text("from . import second\n")
    (app / "second.py").write_text("from .first import something\n")
    (app / "third.py").write_text("from . import fourth\n")
    (app / "fourth.py").write_text("def later():\n    from .third import something\n")  # hidden, not at load
    planted = [
        item
        for path in sorted(app.glob("*.py"))
        for item in imports_in(path.read_text(), path.relative_to(tmp_path).as_posix(), root=tmp_path)
    ]
    assert circles(planted) == [("trusts.first", "trusts.second")]
    assert circles(planted, lazy=True) == [("trusts.first", "trusts.second"), ("trusts.fourth", "trusts.third")]


def test_no_module_over_600_lines_outside_migrations():
    lengths = {
        _relative(path): len(path.read_text().splitlines()) for path in _sources() if "migrations" not in path.parts
    }
    too_long = {path: count for path, count in lengths.items() if count > MAX_LINES and path not in ALLOWED_LONG}
    grown = {
        path: (ALLOWED_LONG[path], count) for path, count in lengths.items() if count > ALLOWED_LONG.get(path, count)
    }
    stale = sorted(path for path in ALLOWED_LONG if lengths.get(path, 0) <= MAX_LINES)
    assert not too_long, f"Over {MAX_LINES} lines: split by reason to change: {too_long}"
    assert not grown, f"Grown past their allowance (allowed, now): {grown}"
    assert not stale, f"At or under {MAX_LINES} lines now (or gone), remove from ALLOWED_LONG: {stale}"
