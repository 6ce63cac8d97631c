"""Dependencies flow one way: interfaces → editorial → pipelines → content core.

Read from the source itself (every ``import`` of every module, wherever it stands), so a
new module or a new import is checked without anyone writing a test for it.

- content core: ``papernotes`` (models, text format, selectors, services, reader pages);
- pipelines: ``papernotes.ingestion``, ``papernotes.drafting``, ``papernotes.delivery``;
- editorial: the workflow, editing services, checks, glossary services of ``editorial``;
- interfaces: the admin screens, management commands, template tags, ``api``.

The project wiring (settings, root URLs, the Celery app, WSGI/ASGI, each app's ``apps``
module) names everything and belongs to no layer. An import inside a function is allowed only in an ``AppConfig.ready``
(Django asks for it there): anywhere else it would hide a cycle.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("papernotes", "editorial", "api")
WIRING = {"papernotes.settings", "papernotes.urls", "papernotes.celery", "papernotes.wsgi", "papernotes.asgi"}

CORE, PIPELINES, EDITORIAL, INTERFACES = 0, 1, 2, 3
LAYER_NAMES = {CORE: "content core", PIPELINES: "pipelines", EDITORIAL: "editorial", INTERFACES: "interfaces"}


def layer_of(module: str) -> int | None:
    if module in WIRING or module.endswith(".apps"):
        return None  # wiring, and AppConfigs, which connect an app's parts when Django starts
    parts = module.split(".")
    if parts[0] == "api":
        return INTERFACES
    if parts[0] == "editorial":
        if len(parts) > 1 and parts[1] in ("admin", "management", "templatetags"):
            return INTERFACES
        return EDITORIAL
    if parts[0] == "papernotes":
        if len(parts) > 1 and parts[1] == "management":
            return INTERFACES
        if len(parts) > 1 and parts[1] in ("ingestion", "drafting", "delivery"):
            return PIPELINES
        return CORE
    return None


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PROJECT_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    # "from package import module" imports the module too.
    return [target, *(f"{target}.{alias.name}" for alias in node.names)]


def imports_of(module: str, path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported project module, inside a function?) for each import in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    known = project_modules_cache()
    found = []

    def visit(node, in_function: bool, in_ready: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, True, in_ready or child.name == "ready")
            elif isinstance(child, ast.Import | ast.ImportFrom):
                for target in _resolve(module, child, is_package):
                    if target in known:
                        found.append((child.lineno, target, in_function and not in_ready))
            else:
                visit(child, in_function, in_ready)

    visit(tree, False, False)
    return found


_CACHE: dict[str, Path] = {}


def project_modules_cache() -> dict[str, Path]:
    if not _CACHE:
        _CACHE.update(project_modules())
    return _CACHE


def test_the_layers_are_read_from_the_tree():
    # Given the project's modules, when they are sorted into layers, then each layer has some:
    # a renamed package cannot make this test pass by leaving it with nothing to check.
    layers = {layer_of(name) for name in project_modules_cache()}
    assert {CORE, PIPELINES, EDITORIAL, INTERFACES} <= layers
    assert "papernotes.drafting.store" in project_modules_cache()


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for module, path in sorted(project_modules_cache().items()):
        own = layer_of(module)
        if own is None:
            continue
        upward += [
            f"{module} ({LAYER_NAMES[own]}) line {line}: {target} ({LAYER_NAMES[layer_of(target)]})"
            for line, target, _in_function in imports_of(module, path)
            if layer_of(target) is not None and layer_of(target) > own
        ]
    assert not upward, "imports upward:\n" + "\n".join(upward)


def test_no_import_hides_inside_a_function():
    hidden = [
        f"{module} line {line}: {target}"
        for module, path in sorted(project_modules_cache().items())
        for line, target, in_function in imports_of(module, path)
        if in_function
    ]
    assert not hidden, "project code imported inside a function:\n" + "\n".join(hidden)


def test_the_checker_sees_an_upward_and_a_hidden_import(tmp_path):
    # Given a core module that imports editorial inside a function (the old papernotes.services),
    # when it is read, then both faults are found.
    source = tmp_path / "services.py"
    source.write_text("def f():\n    from editorial.workflow import issue_publish\n", encoding="utf-8")
    found = imports_of("papernotes.services", source)
    assert (2, "editorial.workflow", True) in found
    assert layer_of("editorial.workflow") > layer_of("papernotes.services")
