"""Differential test of zotops.zot.access_control against the real zot.

Seeded random declarations are compiled by the filter and served by a real zot (v2.1.20, and the
oldest release the role supports); every
decision zot makes (read, push to a new tag, overwrite, delete, catalog) for anonymous clients and
htpasswd users is compared with `expected()`, an evaluator written from docs/access-control.md,
independently of the filter: it works per repository, with its own port of doublestar's Match,
and never looks at the compiled accessControl.

Rerun one case with ZOTOPS_AC_SEED=<seed> (and ZOTOPS_AC_DECLARATIONS=<n> for more declarations).
"""
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import time

import pytest
import requests
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.access_control import access_control
from integration.harness import zot

pytestmark = [pytest.mark.zot, pytest.mark.slow]

ACTIONS = ["read", "create", "update", "delete"]
USERS = ["alice", "bob", "carol", "dave"]
PASSWORD = "pw-%s"
PRINCIPALS = [None] + USERS  # None: an anonymous client
GLOBS = ["team-*/**", "team-?/**", "team-[ab]/**", "team-[!a]/**", "team-a/**", "team-{a,b}/**", "*/secret",
         "team-a/secret/**", "ops/**", "**/secret", "team*/**", "team-a/secret", "ops", "ops/*",
         "{ops,team-b}/**", "team-[a-c]/app"]
REPOS = ["team-a/app", "team-b/app", "team-c/app", "team-a/secret", "team-b/secret", "ops/app", "ops/secret",
         "other/app", "teamx/app", "team-ab/app", "ops", "team-a/secret/x"]
PATTERNS = [r"^v[0-9]+\.[0-9]+\.[0-9]+$", "^v", "^base$", "-rc"]
TAGS = ["base", "v1.2.3"]  # both exist in every repository, on one manifest
ACTION_LISTS = [[], ["read"], ["read", "create"], ["read", "create", "update"], ["read", "delete"], ACTIONS]


# ---------------------------------------------------------------- doublestar.Match, ported from Go

def _closing(pattern):
    depth = 1
    for i, ch in enumerate(pattern):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return i
    return -1


def _comma(pattern):
    depth = 1
    for i, ch in enumerate(pattern):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 1:
            return i
    return -1


def _zero(pattern):
    if pattern in ("", "*", "**", "/**", "**/", "/**/"):
        return True
    if not pattern.startswith("{"):
        return False
    close = _closing(pattern[1:]) + 1
    start = 1
    while True:
        comma = _comma(pattern[start:close])
        if comma < 0:
            return _zero(pattern[start:close] + pattern[close + 1:])
        if _zero(pattern[start:start + comma] + pattern[close + 1:]):
            return True
        start += comma + 1


def glob_match(pattern, name, dpb=-1, dnb=-1, spb=-1, snb=-1, pi=0, ni=0):
    """github.com/bmatcuk/doublestar/v4 v4.10.0 doMatchWithSeparator, line by line (no escapes)."""
    start_of_segment = True
    while ni < len(name):
        mismatch = pi >= len(pattern)
        if not mismatch:
            ch = pattern[pi]
            if ch == "*":
                pi += 1
                if pi < len(pattern) and pattern[pi] == "*":
                    pi += 1
                    if start_of_segment:
                        if pi >= len(pattern):
                            return True
                        if pattern[pi] == "/":
                            pi += 1
                            dpb, dnb, spb, snb = pi, ni, -1, -1
                            continue
                start_of_segment = False
                spb, snb = pi, ni
                continue
            if ch == "?":
                start_of_segment = False
                if name[ni] != "/":
                    pi += 1
                    ni += 1
                    continue
                mismatch = True
            elif ch == "[":
                start_of_segment = False
                end = pattern.index("]", pi + 1)
                body = pattern[pi + 1:end]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                hit, last, i = False, None, 0
                while i < len(body):
                    c = body[i]
                    i += 1
                    if last is not None and c == "-" and i < len(body):
                        if last <= name[ni] <= body[i]:
                            hit = True
                        i += 1
                        last = None
                        continue
                    if c == name[ni]:
                        hit = True
                    last = c
                if hit != negate:
                    pi = end + 1
                    ni += 1
                    continue
                mismatch = True
            elif ch == "{":
                start_of_segment = False
                before = pi
                pi += 1
                close = _closing(pattern[pi:]) + pi
                while True:
                    comma = _comma(pattern[pi:close])
                    if comma < 0:
                        break
                    comma += pi
                    if glob_match(pattern[:before] + pattern[pi:comma] + pattern[close + 1:], name,
                                  dpb, dnb, spb, snb, before, ni):
                        return True
                    pi = comma + 1
                return glob_match(pattern[:before] + pattern[pi:close] + pattern[close + 1:], name,
                                  dpb, dnb, spb, snb, before, ni)
            elif ch == name[ni]:
                pi += 1
                ni += 1
                start_of_segment = ch == "/"
                continue
            else:
                mismatch = True
        if spb >= 0 and name[snb] != "/":
            snb += 1
            pi, ni, start_of_segment = spb, snb, False
            continue
        if dpb >= 0:
            ni = dnb
            found = False
            while ni < len(name):
                ni += 1
                if name[ni - 1] == "/":
                    dnb, pi, start_of_segment, found = ni, dpb, True, True
                    break
            if found:
                continue
        return False
    return _zero(pattern[pi:])


# ---------------------------------------------------------------- what docs/access-control.md says

def _most_specific(decl, repo, key):
    """The override that decides key for repo: of those matching it and setting key, the most specific
    (the docs: globs sharing a repository are nested and the inner one is longer)."""
    matching = [g for g, body in decl.get("repositories", {}).items() if key in body and glob_match(g, repo)]
    return max(matching, key=len) if matching else None


def _tiers_for(decl, repo):
    deciding = _most_specific(decl, repo, "tiers")
    applied = []
    for name, tier in decl.get("tiers", {}).items():
        own = [g for g in tier.get("repositories", ["**"]) if glob_match(g, repo)]
        if deciding is None:
            applies = bool(own)
        else:
            # the deciding override's list, plus tiers whose own glob lies strictly inside it
            applies = name in decl["repositories"][deciding]["tiers"] or any(len(g) > len(deciding) for g in own)
        if applies:
            applied.append(tier)
    return applied


def expected(decl, user, repo, action, tag=None):
    """May user (None: not signed in) do action on repo (to tag, for update)?"""
    def setting(key):
        override = _most_specific(decl, repo, key)
        return decl["repositories"][override][key] if override else decl.get(key, [])

    if user is None:
        # anonymous rights are for clients that do not sign in, and only for them
        return action in setting("anonymous")
    groups = set(g for g, body in decl.get("groups", {}).items() if user in body.get("users", []))
    granted = set(setting("authenticated"))
    for tier in _tiers_for(decl, repo):
        if user in tier.get("users", []) or groups & set(tier.get("groups", [])):
            granted.update(tier["actions"])
            pattern = tier.get("immutable_tags")
            if isinstance(pattern, str) and action == "update" and not re.search(pattern, tag):
                granted.add("update")  # only tags matching the pattern are immutable
    admins = decl.get("admins")
    if admins and (user in admins.get("users", []) or groups & set(admins.get("groups", []))):
        granted.update(admins.get("actions", ACTIONS))
    return action in granted


def expected_catalog(decl, user):
    return set(repo for repo in REPOS if expected(decl, user, repo, "read"))


# ---------------------------------------------------------------- random declarations

def _actions(rng):
    return list(rng.choice(ACTION_LISTS))


def declaration(rng, patterns=True):
    """A random declaration; without ``patterns``, no tag pattern (CEL conditions: zot 2.1.17 and newer)."""
    decl = {"groups": {"devs": {"users": rng.sample(USERS, 2)}, "ops": {"users": rng.sample(USERS, 1)},
                       "idp": {}}}
    if rng.random() < 0.8:
        decl["anonymous"] = _actions(rng)
    if rng.random() < 0.6:
        decl["authenticated"] = _actions(rng)
    tiers = {}
    for number in range(rng.randint(0, 3)):
        tier = {"actions": rng.choice(ACTION_LISTS[1:])}
        if rng.random() < 0.7:
            tier["users"] = rng.sample(USERS, rng.randint(1, 2))
        if rng.random() < 0.5 or "users" not in tier:
            tier["groups"] = rng.sample(["devs", "ops", "idp"], rng.randint(1, 2))
        if rng.random() < 0.6:
            tier["repositories"] = rng.sample(GLOBS, rng.randint(1, 2))
        if rng.random() < 0.3:
            tier["actions"] = ["read", "create"]
            tier["immutable_tags"] = rng.choice([True] + (PATTERNS if patterns else []))
        tiers["t%d" % number] = tier
    decl["tiers"] = tiers
    overrides = {}
    for glob in rng.sample(GLOBS, rng.randint(0, 3)):
        body = {}
        for key in ("anonymous", "authenticated"):
            if rng.random() < 0.5:
                body[key] = _actions(rng)
        if tiers and rng.random() < 0.4:
            body["tiers"] = rng.sample(sorted(tiers), rng.randint(0, len(tiers)))
        overrides[glob] = body
    decl["repositories"] = overrides
    if rng.random() < 0.3:
        decl["admins"] = {"users": rng.sample(USERS, 1), "actions": _actions(rng) or ["read"]}
    return decl


# ---------------------------------------------------------------- the registry

def _blob(session, url, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = session.post(f"{url}/v2/{repo}/blobs/uploads/")
    assert start.status_code == 202, start.text
    location = start.headers["Location"]
    location = location if location.startswith("http") else url + location
    put = session.put(location, params={"digest": digest}, data=data,
                      headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 201, put.text
    return {"digest": digest, "size": len(data)}


def _manifest(config, layer, note):
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")],
        "annotations": {"note": note}}, sort_keys=True).encode()


MANIFEST_HEADERS = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}


@pytest.fixture(scope="module")
def seeded_storage(zot_bin, tmp_path_factory):
    """A storage tree where every repository has `base` and `v1.2.3`, and one manifest per principal to
    delete; copied for every declaration so one declaration's deletes never reach the next."""
    work = tmp_path_factory.mktemp("ac-template")
    server = zot.ZotServer(zot_bin, {"storage": {"rootDirectory": str(work / "data"), "gc": False, "dedupe": False},
                                     "log": {"level": "error"}}, work, name="zot-template").start()
    digests, bases = {}, {}
    try:
        session = requests.Session()
        for repo in REPOS:
            config = _blob(session, server.url, repo, b'{"architecture":"amd64","os":"linux"}')
            layer = _blob(session, server.url, repo, repo.encode())
            base = bases[repo] = _manifest(config, layer, "base")
            for tag in TAGS:
                put = session.put(f"{server.url}/v2/{repo}/manifests/{tag}", data=base, headers=MANIFEST_HEADERS)
                assert put.status_code == 201, put.text
            for principal in PRINCIPALS:
                body = _manifest(config, layer, "delete-%s" % principal)
                put = session.put(f"{server.url}/v2/{repo}/manifests/del-{principal}", data=body,
                                  headers=MANIFEST_HEADERS)
                assert put.status_code == 201, put.text
                digests[(repo, principal)] = "sha256:" + hashlib.sha256(body).hexdigest()
    finally:
        server.stop()
    return work / "data", digests, bases


def _allowed(response, what):
    if response.status_code in (401, 403):
        return False
    assert response.status_code < 300, "%s: unexpected %s %s" % (what, response.status_code, response.text[:300])
    return True


def _observe_principal(url, digests, bases, case, principal):
    seen = {}
    session = requests.Session()
    session.trust_env = False  # loopback only; skips proxy look-ups on every request
    if principal:
        session.auth = (principal, PASSWORD % principal)
    for repo in REPOS:
        def record(decision, response):
            seen[(principal, repo, decision)] = _allowed(response, (principal, repo, decision))

        record("read", session.get(f"{url}/v2/{repo}/manifests/base",
                                   headers={"Accept": MANIFEST_HEADERS["Content-Type"]}))
        record("create", session.put(f"{url}/v2/{repo}/manifests/new-{case}-{principal}", data=bases[repo],
                                     headers=MANIFEST_HEADERS))
        for tag in TAGS:
            record("update " + tag, session.put(f"{url}/v2/{repo}/manifests/{tag}", data=bases[repo],
                                                headers=MANIFEST_HEADERS))
        record("delete", session.delete(f"{url}/v2/{repo}/manifests/{digests[(repo, principal)]}"))
    catalog = session.get(f"{url}/v2/_catalog")
    listed = set(catalog.json().get("repositories") or []) if _allowed(catalog, (principal, "catalog")) else set()
    seen[(principal, "*", "catalog")] = sorted(listed & set(REPOS))
    return seen


def observe(url, digests, bases, case):
    """Every decision zot makes: {(principal, repo, decision): allowed}. Principals run side by side:
    their requests touch different tags and manifests."""
    seen = {}
    with concurrent.futures.ThreadPoolExecutor(len(PRINCIPALS)) as pool:
        for result in pool.map(lambda p: _observe_principal(url, digests, bases, case, p), PRINCIPALS):
            seen.update(result)
    return seen


def predict(decl):
    out = {}
    for principal in PRINCIPALS:
        for repo in REPOS:
            out[(principal, repo, "read")] = expected(decl, principal, repo, "read")
            out[(principal, repo, "create")] = expected(decl, principal, repo, "create")
            for tag in TAGS:
                out[(principal, repo, "update " + tag)] = expected(decl, principal, repo, "update", tag)
            out[(principal, repo, "delete")] = expected(decl, principal, repo, "delete")
        out[(principal, "*", "catalog")] = sorted(expected_catalog(decl, principal))
    return out


def test_port_of_doublestar_agrees_with_known_answers():
    """The evaluator's matcher on answers read from doublestar's own tests and quirks."""
    cases = [("team/**", "team", True), ("team*/**", "team", False), ("team*/**", "teamx/y", True),
             ("**/secret", "secret", True), ("a/**/b", "a/b", True), ("team-[!a]/**", "team-b/x", True),
             ("team-[!a]/**", "team-a/x", False), ("{a,b}/**", "b", True), ("*", "a/b", False)]
    assert [(p, n, glob_match(p, n)) for p, n, _expected in cases] == cases


@pytest.mark.parametrize("zot_bin", zot.RELEASES, indirect=True)
def test_filter_against_real_zot(zot_bin, seeded_storage, htpasswd_file, tmp_path):
    """On the role's default zot, 100 declarations; on the oldest release it supports, 30 without tag
    patterns (it has no CEL conditions) - the same filter, the same evaluator."""
    oldest = zot_bin == zot.release_binary(zot.OLDEST)[0]
    seed = int(os.environ.get("ZOTOPS_AC_SEED") or random.SystemRandom().randrange(2 ** 32))
    wanted = int(os.environ.get("ZOTOPS_AC_DECLARATIONS", "30" if oldest else "100"))
    template, digests, base_manifest = seeded_storage
    htpasswd = htpasswd_file({user: PASSWORD % user for user in USERS})
    rng = random.Random(seed)
    started = time.monotonic()
    cases, rejected = [], 0
    while len(cases) < wanted:
        decl = declaration(rng, patterns=not oldest)
        try:
            cases.append((len(cases), decl, access_control(decl)))
        except AnsibleFilterError:
            rejected += 1
            assert rejected < 20 * wanted, "seed %d: the generator makes too few acceptable declarations" % seed

    def run(case):
        number, decl, compiled = case
        data = tmp_path / ("data-%d" % number)
        shutil.copytree(template, data)
        server = zot.ZotServer(zot_bin, {
            "storage": {"rootDirectory": str(data), "gc": False, "dedupe": False},
            "log": {"level": "error"},
            "http": {"auth": {"htpasswd": {"path": htpasswd}}, "accessControl": compiled},
        }, tmp_path / ("zot-%d" % number), name="zot-ac")
        try:
            try:
                server.start()  # a declaration the filter accepts must never keep zot from starting
            except Exception as exc:
                return ["declaration %d: zot refused the compiled config: %s\n  %s\n%s" % (
                    number, exc, json.dumps(decl, sort_keys=True), server.log_tail())], 0
            try:
                seen = observe(server.url, digests, base_manifest, number)
            except AssertionError as exc:  # an answer that is neither a grant nor a denial
                return ["declaration %d: %s\n  %s" % (number, exc, json.dumps(decl, sort_keys=True))], 0
        finally:
            server.stop()
            shutil.rmtree(data, ignore_errors=True)
        want = predict(decl)
        return ["declaration %d %s: docs say %s, zot did %s\n  %s" % (
            number, key, want[key], seen[key], json.dumps(decl, sort_keys=True))
            for key in sorted(want, key=str) if want[key] != seen[key]], len(want)

    # Two registries at a time: each spends most of its time waiting on the other's disk writes.
    mismatches, decisions = [], 0
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for found, count in pool.map(run, cases):
            mismatches.extend(found)
            decisions += count
    accepted = len(cases)
    elapsed = time.monotonic() - started
    print("access_control differential on %s: seed %d, %d declarations (%d rejected), %d decisions, %d mismatches, %.1fs"
          % (zot_bin, seed, accepted, rejected, decisions, len(mismatches), elapsed))
    assert not mismatches, "seed %d (rerun with ZOTOPS_AC_SEED=%d): %d mismatches:\n%s" % (
        seed, seed, len(mismatches), "\n".join(mismatches[:20]))


# Patterns zot must be able to compile when the filter accepts them, and the ones it must refuse.
PATTERN_CASES = [r"^v[0-9]+\.[0-9]+\.[0-9]+$", r"\p{Lu}", r"^(?i)rc$", r"^\Qv1.0\E$", r"^[[:digit:]]+$",
                 r"(?P<major>v[0-9]+)", r"^\Q\C\E$", r"^latest\Z", r"^v[0-9]++$", r"(?>v)1", r"(?=v)", r"\1",
                 r"\C", r"a{1001}", r"(?#x)", r"\pX", r"[[:word:]]", r'^"quoted"\\$']


@pytest.mark.parametrize("pattern", PATTERN_CASES)
def test_accepted_patterns_are_exactly_those_zot_starts_with(zot_bin, pattern, tmp_path):
    """zot verify compiles every CEL condition (and its constant regex) the way zot serve does."""
    spec = {"tiers": {"ci": {"users": ["ci"], "actions": ["read", "create"], "immutable_tags": pattern}}}
    error = None
    try:
        compiled = access_control(spec)
    except AnsibleFilterError as exc:
        compiled, error = None, str(exc)
    config = {"storage": {"rootDirectory": str(tmp_path / "data")}, "log": {"level": "error"},
              "http": {"address": "127.0.0.1", "port": "0",
                       "auth": {"htpasswd": {"path": str(tmp_path / "htpasswd")}},
                       "accessControl": compiled or access_control({"tiers": {"ci": {
                           "users": ["ci"], "actions": ["read", "create"], "immutable_tags": "^x$"}}})}}
    (tmp_path / "htpasswd").write_text("")
    if compiled is None:
        # the same condition, written by hand, is what zot would have been given
        condition = 'req.action != "update" || !req.tag.matches("%s")' % pattern.replace("\\", "\\\\").replace(
            '"', '\\"')
        config["http"]["accessControl"]["repositories"]["**"]["policies"][1]["conditions"][0]["expression"] = condition
    result = zot.verify_config(zot_bin, config)
    if compiled is not None:
        assert result.returncode == 0, (pattern, result.stdout[-800:], result.stderr[-800:])
    else:
        assert result.returncode != 0, ("the filter rejected a pattern zot accepts", pattern, error)
