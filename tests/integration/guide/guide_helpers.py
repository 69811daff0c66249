"""Read docs/getting-started.md the way a new user does: its files (fenced blocks whose first line is a
comment naming the file) and its commands (``$ `` / ``# `` lines of console blocks), section by section."""
import hashlib
import re
import shlex
import subprocess
from pathlib import Path

from integration.harness.ansible import RECAP, PlaybookResult, ansible_env
from integration.harness.env import REPO

GUIDE = REPO / "docs" / "getting-started.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
FILE_NAME = re.compile(r"^#\s+(\S+\.(?:ya?ml|ini))(?:\s+(\(continued\)))?")


def sections(text=None):
    """{'0': text, '1': text, '2': text, '3': text, ...} split on the guide's '## <n>.' headings."""
    text = GUIDE.read_text() if text is None else text
    parts = re.split(r"^## (\d+)\. ", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def files(text):
    """{relative path: content} of the blocks in ``text``; '(continued)' blocks append to the file."""
    found = {}
    for lang, body in FENCE.findall(text):
        if lang not in ("yaml", "ini"):
            continue
        first = body.splitlines()[0] if body else ""
        match = FILE_NAME.match(first)
        if not match:
            continue
        name, continued = match.groups()
        if continued:
            assert name in found, f"{name} is continued before it is started"
            found[name] += "\n" + body
        else:
            assert name not in found, f"{name} is written twice"
            found[name] = body
    return found


def commands(text):
    """Every command line of the console blocks in ``text``, in order, as (prompt, argv)."""
    found = []
    for lang, body in FENCE.findall(text):
        if lang != "console":
            continue
        for line in body.splitlines():
            if line[:2] in ("$ ", "# "):
                command = line[2:].split("   #")[0].strip()
                found.append((line[0], shlex.split(command)))
    return found


def substitute(text, replacements):
    """Replace each literal; a literal the guide no longer contains fails (the test would drift)."""
    for old, new in replacements:
        assert old in text, f"the guide no longer contains {old!r}: update the test's substitutions"
        text = text.replace(old, new)
    return text


def run_command(argv, cwd, extra_args=(), timeout=900):
    """Run one ansible-playbook line from the guide in the project dir, the venv's ansible first."""
    proc = subprocess.run(list(argv) + list(extra_args), cwd=cwd, env=ansible_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)
    recap = {m.group(1): dict(zip(("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"),
                                  map(int, m.groups()[1:])))
             for m in RECAP.finditer(proc.stdout)}
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, recap)


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tree_state(root, skip=()):
    """{relative path: (mode, uid, content)} of the files the role manages under root."""
    state = {}
    for path in sorted(Path(root).rglob("*")):
        rel = str(path.relative_to(root))
        if any(rel.startswith(s) for s in skip) or not path.is_file() or path.is_symlink():
            continue
        st = path.lstat()
        state[rel] = (st.st_mode, st.st_uid, path.read_bytes())
    return state
