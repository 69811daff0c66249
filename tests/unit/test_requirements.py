"""requirements.txt is what users and execution environments install on the controller for this
collection: every package in it is imported by the collection's own code (plugins/), and every
package the code imports unconditionally is in it. (Imports inside try are optional: the code names
the package when it is missing, e.g. boto3 for the AWS secret store.)"""
import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements():
    names = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_normal(re.match(r"[A-Za-z0-9._-]+", line).group(0)))
    return names


def plugin_imports():
    """{top-level module: unconditional?} over every module of plugins/, stdlib left out."""
    found = {}
    for path in sorted((REPO / "plugins").rglob("*.py")):
        tree = ast.parse(path.read_text())
        optional = {id(n) for node in ast.walk(tree) if isinstance(node, ast.Try) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("__future__", "ansible_collections"):
                    continue
                found[top] = found.get(top, False) or id(node) not in optional
    return found


def test_every_requirement_is_imported_by_the_collection():
    dists = packages_distributions()
    imported = {_normal(dist) for module in plugin_imports() for dist in dists.get(module, [])}
    unused = sorted(requirements() - imported)
    assert unused == [], f"requirements.txt lists packages no code in plugins/ imports: {unused}"


def test_every_unconditional_import_is_a_requirement():
    dists = packages_distributions()
    missing = sorted(module for module, unconditional in plugin_imports().items()
                     if unconditional and not requirements() & {_normal(d) for d in dists.get(module, [module])})
    assert missing == [], f"plugins/ imports these without a fallback, but requirements.txt lacks them: {missing}"
