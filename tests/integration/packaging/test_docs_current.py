"""The reference pages in docs/reference/ are what scripts/build-docs.sh generates from the
sources right now: regenerated into a temp dir (antsibull-docs, a few seconds) and compared
byte for byte."""
import difflib
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from integration.harness.ansible import ansible_env
from integration.harness.env import REPO, venv_bin

COMMITTED = REPO / "docs" / "reference"
FIX = "run scripts/build-docs.sh and commit docs/reference/"


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    dest = tmp_path_factory.mktemp("docs") / "reference"
    # --allow-errors: a page for an undocumented plugin is still compared here;
    # test_every_plugin_and_role_has_documentation says which ones lack it.
    result = subprocess.run([str(REPO / "scripts" / "build-docs.sh"), "--allow-errors", "--dest", str(dest)],
                            capture_output=True, text=True, timeout=300, check=False, cwd=REPO,
                            env=ansible_env({"ZOTOPS_VENV": str(Path(venv_bin("python")).parents[1])}))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return dest


def test_reference_docs_match_the_sources(regenerated):
    assert COMMITTED.is_dir(), f"docs/reference/ is missing: {FIX}"
    want, have = _files(regenerated), _files(COMMITTED)
    missing = sorted(set(want) - set(have))
    stale = sorted(set(have) - set(want))
    changed = sorted(name for name in set(want) & set(have) if want[name] != have[name])
    if missing or stale or changed:
        excerpt = []
        for name in changed[:3]:
            excerpt += list(difflib.unified_diff(have[name].decode().splitlines(), want[name].decode().splitlines(),
                                                 f"committed/{name}", f"generated/{name}", lineterm="", n=1))[:40]
        pytest.fail(f"docs/reference/ is out of date with the sources: {FIX}\n"
                    f"missing pages: {missing}\npages no longer generated: {stale}\nchanged pages: {changed}\n"
                    + "\n".join(excerpt))


def test_every_plugin_and_role_has_documentation(regenerated):
    """antsibull-docs writes an error page for a plugin whose documentation is missing or invalid."""
    broken = sorted(p.name for p in regenerated.glob("*.rst")
                    if "was malformed." in p.read_text() or "The errors were:" in p.read_text())
    assert broken == [], ("these plugins have missing or invalid documentation (a DOCUMENTATION block, or a "
                          f"<name>.yml next to a filter): {broken}; then {FIX}")


def test_every_module_filter_and_role_has_a_page(regenerated):
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    roles = {p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()}
    pages = {p.name for p in regenerated.glob("*.rst")}
    expected = {f"{m}_module.rst" for m in modules} | {f"{r}_role.rst" for r in roles} | {"index.rst"}
    absent = sorted(expected - pages)
    assert absent == [], f"no reference page for {absent}"


def test_links_between_docs_resolve():
    pages = sorted(REPO.glob("docs/*.md")) + [REPO / "README.md"] + sorted(REPO.glob("roles/*/README.md"))
    broken = []
    for page in pages:
        for match in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", page.read_text()):
            target = match.group(1)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == [], f"links to files that do not exist: {broken}"


def _option_names(plugin_type, names):
    """Option names per plugin as ansible-doc reads them (doc fragments included), in one call."""
    result = subprocess.run([venv_bin("ansible-doc"), "--json", "-t", plugin_type] + [f"zotops.zot.{n}" for n in names],
                            capture_output=True, text=True, timeout=300, check=False, cwd=REPO, env=ansible_env())
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    if plugin_type == "role":
        return {name.split(".")[-1]: set(doc["entry_points"]["main"]["options"]) for name, doc in docs.items()}
    return {name.split(".")[-1]: set(doc["doc"]["options"]) for name, doc in docs.items()}


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_getting_started_uses_only_names_the_sources_define():
    """Every variable and module option in docs/getting-started.md's YAML exists in an argument
    spec, a module's DOCUMENTATION or the rotate_api_key playbook, so the guide cannot drift."""
    text = (REPO / "docs" / "getting-started.md").read_text()
    blocks = [yaml.safe_load(body) for body in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    roles = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
    module_options = _option_names("module", modules)
    role_variables = set().union(*_option_names("role", roles).values())
    groups = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]
    playbook = (REPO / "playbooks" / "rotate_api_key.yml").read_text()
    unknown = []
    for node in _walk(blocks):
        for key, value in node.items():
            key = str(key)
            if key.startswith("zotops.zot.") and isinstance(value, dict):
                name = key[len("zotops.zot."):]
                if name not in module_options:
                    unknown.append(f"module {key}")
                else:
                    unknown += [f"{key}: option {opt}" for opt in value if opt not in module_options[name]]
            elif key.startswith("group/zotops.zot.") and isinstance(value, dict):
                group = key[len("group/zotops.zot."):]
                allowed = set().union(*(module_options.get(m, set()) for m in groups.get(group, [])))
                unknown += [f"{key}: option {opt}" for opt in value if opt not in allowed]
            elif key.startswith("zot_apikey_"):
                if not re.search(rf"\b{key}\b", playbook):
                    unknown.append(f"playbook variable {key}")
            elif key.startswith("zot_") and key not in role_variables and f"register: {key}" not in text:
                unknown.append(f"role variable {key}")
    assert unknown == [], f"docs/getting-started.md names what the sources do not define: {unknown}"
