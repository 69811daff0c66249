# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exact set relations between zot repository globs (github.com/bmatcuk/doublestar/v4 ``Match``).

zot v2.1.20 resolves a repository to the longest glob that ``doublestar.Match`` accepts. Whether one
glob contains another, or whether two overlap, is decided here on automata, over the repository
names zot accepts (the OCI name grammar of zot's ``pkg/regexp``), so the answers are exact and come
with an example repository.

doublestar v4.10.0 is a backtracking matcher with quirks a plain regex translation misses; the
automaton reproduces them:

* once the name is used up, the rest of the pattern only matches if ``isZeroLengthPattern`` says so:
  ``team*/**`` does not match ``team`` (but ``team/**`` does, and ``team*/**`` matches ``teamx``);
* ``{a,b}`` is matched by substituting the alternative into the pattern text, so that end-of-name
  check sees the substituted text;
* ``[!x]``, ``[^x]`` and ranges such as ``[.-0]`` can match ``/``.

Globs where the greedy matcher and any automaton could disagree (a ``**`` produced by braces, a
class that can match the ``/`` of a real repository name) are rejected by :func:`problem` instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789._-/"
NON_SLASH = frozenset(ALPHABET) - frozenset("/")
ANY = frozenset(ALPHABET)
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
CLASS_BODY = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")
GLOB_CHARS = frozenset(ALPHABET) | frozenset("*?[]{},!^")
MAX_ALTERNATIVES = 64


# ---------------------------------------------------------------- OCI repository names

def _name_step(state, ch):
    """zot's NameRegexp, one component ``[a-z0-9]+((\\.|_|__|-*)[a-z0-9]+)*`` per path segment."""
    if ch in ALNUM:
        return "alnum"
    if state == "alnum":
        return {".": "dot", "_": "under", "-": "dash", "/": "start"}.get(ch)
    if state == "under" and ch == "_":
        return "under2"
    if state == "dash" and ch == "-":
        return "dash"
    return None


def is_repository_name(name):
    state = "start"
    for ch in name:
        state = _name_step(state, ch)
        if state is None:
            return False
    return state == "alnum"


# ---------------------------------------------------------------- doublestar's end-of-name rule

def _closing_alt(text):
    """Index of the '}' closing a '{' just before text (doublestar's indexMatchedClosingAlt)."""
    depth = 1
    for index, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _next_alt(text):
    depth = 1
    for index, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 1:
            return index
    return -1


def zero_length(pattern):
    """doublestar's isZeroLengthPattern: does the pattern left when the name ran out still match."""
    if pattern in ("", "*", "**", "/**", "**/", "/**/"):
        return True
    if not pattern.startswith("{"):
        return False
    closing = _closing_alt(pattern[1:])
    if closing < 0:
        return False
    closing += 1
    start = 1
    while True:
        comma = _next_alt(pattern[start:closing])
        if comma < 0:
            break
        comma += start
        if zero_length(pattern[start:comma] + pattern[closing + 1:]):
            return True
        start = comma + 1
    return zero_length(pattern[start:closing] + pattern[closing + 1:])


# ---------------------------------------------------------------- parsing

def _class_set(body):
    """Characters of ALPHABET a class body (after '!'/'^') matches, the way doublestar reads ranges."""
    chars = set()
    last = None
    index = 0
    while index < len(body):
        ch = body[index]
        index += 1
        if last is not None and ch == "-" and index < len(body):
            high = body[index]
            index += 1
            chars.update(c for c in ALPHABET if last <= c <= high)
            last = None
            continue
        chars.add(ch)
        last = ch
    return chars


def _parse_sequence(text, start, stop_chars):
    """Elements of text from start up to one of stop_chars; returns (elements, index)."""
    elements = []
    index = start
    while index < len(text) and text[index] not in stop_chars:
        ch = text[index]
        if ch == "*":
            elements.append(("star", "*"))
            index += 1
        elif ch == "?":
            elements.append(("one", "?"))
            index += 1
        elif ch == "[":
            end = text.index("]", index + 1)
            body = text[index + 1:end]
            negate = body[:1] in ("!", "^")
            chars = _class_set(body[1:] if negate else body)
            matched = (ANY - chars) if negate else (ANY & chars)
            elements.append(("class", text[index:end + 1], frozenset(matched)))
            index = end + 1
        elif ch == "{":
            alternatives = []
            index += 1
            while True:
                alternative, index = _parse_sequence(text, index, ",}")
                alternatives.append(alternative)
                if text[index] == "}":
                    break
                index += 1
            closing = index
            elements.append(("alt", alternatives, None))
            index = closing + 1
        else:
            elements.append(("char", ch))
            index += 1
    return elements, index


def _parse(glob):
    """Elements of a glob already checked by problem(); '**' segments become globstar elements."""
    elements = []
    segments = glob.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "**":
            elements.append(("globstar_end",) if last else ("globstar",))
            continue
        parsed, _end = _parse_sequence(segment, 0, "")
        elements.extend(parsed)
        if not last:
            elements.append(("char", "/"))
    return elements


def _text(elements):
    out = []
    for element in elements:
        kind = element[0]
        if kind in ("char", "star", "one", "class"):
            out.append(element[1])
        elif kind == "alt":
            out.append("{%s}" % ",".join(_text(alt) for alt in element[1]))
        elif kind == "globstar":
            out.append("**/")
        else:
            out.append("**")
    return "".join(out)


def _expansions(elements, limit):
    """Every brace-free text the glob stands for (None when there are more than limit)."""
    results = [""]
    for element in elements:
        if element[0] == "alt":
            options = []
            for alternative in element[1]:
                sub = _expansions(alternative, limit)
                if sub is None:
                    return None
                options.extend(sub)
        else:
            options = [_text([element])]
        results = [done + option for done in results for option in options]
        if len(results) > limit:
            return None
    return results


def problem(glob):
    """Why glob is not a glob this module (and zot) can read exactly, or None."""
    if not glob:
        return "is empty"
    if any(ch.isspace() for ch in glob):
        return "contains whitespace"
    if glob != glob.lower():
        return "has upper-case letters; OCI repository names are lower case, so it would never match"
    bad = sorted(set(ch for ch in glob if ch not in GLOB_CHARS))
    if bad:
        return "contains %s; allowed: a-z 0-9 . _ - / and the glob characters * ? [ ] { } ," % ", ".join(
            "'%s'" % ch for ch in bad)
    if glob.startswith("/") or glob.endswith("/"):
        return "must not start or end with '/' (repository names never do)"
    if "//" in glob:
        return "has an empty path segment ('//')"
    depth = 0
    index = 0
    while index < len(glob):
        ch = glob[index]
        if ch == "[":
            end = glob.find("]", index + 1)
            if end < 0:
                return "has '[' without ']'"
            body = glob[index + 1:end]
            if body[:1] in ("!", "^"):
                body = body[1:]
            if not body:
                return "has an empty character class '%s'" % glob[index:end + 1]
            if any(c not in CLASS_BODY for c in body):
                return ("has %s; inside [...] only a-z 0-9 . _ - are allowed (after an optional leading ! or ^)"
                        % json_quote(glob[index:end + 1]))
            index = end + 1
            continue
        if ch == "]":
            return "has ']' without '['"
        if ch in "!^":
            return "has '%s' outside [...], where it is a literal that no repository name contains" % ch
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return "has '}' without '{'"
        elif ch == "," and not depth:
            return "has ',' outside {...}, where it is a literal that no repository name contains"
        elif ch == "/" and depth:
            return "has '/' inside {...}; write separate globs instead"
        index += 1
    if depth:
        return "has '{' without '}'"
    for segment in glob.split("/"):
        if "**" in segment and segment != "**":
            return ("uses '**' inside the segment '%s'; '**' must be a whole path segment "
                    "(for example 'team/**', not 'team**')" % segment)
    elements = _parse(glob)
    expansions = _expansions(elements, MAX_ALTERNATIVES)
    if expansions is None:
        return "has more than %d {...} alternatives" % MAX_ALTERNATIVES
    for text in expansions:
        for segment, original in zip(text.split("/"), glob.split("/")):
            if "**" in segment and original != "**":
                # doublestar substitutes an alternative into the text and re-reads it, so a '*' next to
                # a '*' from braces becomes a '**' that matches across '/'.
                return ("puts '*' next to '*' through {...} (it reads as '%s'), which doublestar then treats "
                        "as '**' and lets it match across '/'" % text)
    if any(element[0] == "class" and "/" in element[2] for element in _walk(elements)):
        name = _slash_through_class(glob)
        if name is not None:
            # doublestar's classes match '/', but its greedy matcher does not always find such matches.
            return ("has a [...] that matches the '/' of repository names such as '%s'; a class should "
                    "stand for one character of a path segment: list the characters it allows instead "
                    "(for example [a-z0-9])" % name)
    return None


def _walk(elements):
    for element in elements:
        yield element
        if element[0] == "alt":
            for alternative in element[1]:
                yield from _walk(alternative)


def json_quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


# ---------------------------------------------------------------- automaton

class _State(object):
    __slots__ = ("text", "edges", "eps")

    def __init__(self, text):
        self.text = text    # pattern text doublestar has left at this point; None: never accepts here
        self.edges = []     # (frozenset of characters, target)
        self.eps = []       # zero-width moves, taken only while characters remain


class Glob(object):
    """A glob as a nondeterministic automaton over ALPHABET that accepts exactly what Match accepts."""

    def __init__(self, glob, slash_in_classes=True):
        self.glob = glob
        self.slash_in_classes = slash_in_classes
        self.states = []
        final = self._new("")
        self.start = self._build(_parse(glob), final, "")
        self.accepting = frozenset(i for i, s in enumerate(self.states)
                                   if s.text is not None and zero_length(s.text))
        self._closures = {}

    def _new(self, text):
        self.states.append(_State(text))
        return len(self.states) - 1

    def _build(self, elements, follow, follow_text):
        """Start state of elements followed by state follow (whose pattern text is follow_text)."""
        for position in range(len(elements) - 1, -1, -1):
            element = elements[position]
            text = _text([element]) + follow_text
            kind = element[0]
            state = self._new(text)
            if kind in ("char", "one", "class"):
                if kind == "char":
                    chars = frozenset(element[1])
                elif kind == "one":
                    chars = NON_SLASH
                else:
                    chars = element[2] if self.slash_in_classes else element[2] - frozenset("/")
                self.states[state].edges.append((chars, follow))
            elif kind == "star":
                # After a character the star took, the pattern is past the '*' but can take more.
                again = self._new(follow_text)
                self.states[again].eps.extend([follow, state])
                self.states[state].eps.append(follow)
                self.states[state].edges.append((NON_SLASH, again))
            elif kind == "alt":
                for alternative in element[1]:
                    self.states[state].eps.append(self._build(alternative, follow, follow_text))
            elif kind == "globstar":
                # '**/' skips whole directories; a name that ends inside a skipped one does not match.
                inside = self._new(None)
                after = self._new(follow_text)
                self.states[after].eps.extend([follow, state])
                self.states[state].eps.append(follow)
                self.states[state].edges.extend([(NON_SLASH, inside), (frozenset("/"), after)])
                self.states[inside].edges.extend([(NON_SLASH, inside), (frozenset("/"), after)])
            else:  # globstar_end: doublestar answers true as soon as it reaches a final '**'
                rest = self._new("")
                self.states[state].edges.append((ANY, rest))
                self.states[rest].edges.append((ANY, rest))
            follow, follow_text = state, text
        return follow

    def closure(self, states):
        key = states
        if key not in self._closures:
            seen = set(states)
            stack = list(states)
            while stack:
                for target in self.states[stack.pop()].eps:
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
            self._closures[key] = frozenset(seen)
        return self._closures[key]

    def step(self, states, ch):
        """States after reading ch from states (before zero-width moves, which end-of-name ignores)."""
        out = set()
        for state in self.closure(states):
            for chars, target in self.states[state].edges:
                if ch in chars:
                    out.add(target)
        return frozenset(out)

    def initial(self):
        return frozenset([self.start])

    def accepts_at(self, states):
        return bool(states & self.accepting)

    def match(self, name):
        states = self.initial()
        for ch in name:
            states = self.step(states, ch)
            if not states:
                return False
        return self.accepts_at(states)


_CACHE = {}


def compiled(glob):
    if glob not in _CACHE:
        _CACHE[glob] = Glob(glob)
    return _CACHE[glob]


def _slash_through_class(glob):
    """A repository name glob matches only because a [...] took one of its '/', or None."""
    automata = [Glob(glob), Glob(glob, slash_in_classes=False)]
    return _search(automata, [True, False])


def search(globs, want):
    """Shortest repository name whose membership in each glob is as want says (True/False), or None.

    A breadth-first search over the product of zot's name grammar and the globs' subset automata.
    """
    return _search([compiled(glob) for glob in globs], want)


def _search(automata, want):
    start = ("start", tuple(a.initial() for a in automata))
    seen = set([start])
    queue = collections.deque([(start, "")])
    while queue:
        (name_state, sets), name = queue.popleft()
        if name and name_state == "alnum" and all(
                a.accepts_at(s) == w for a, s, w in zip(automata, sets, want)):
            return name
        for ch in ALPHABET:
            next_name = _name_step(name_state, ch)
            if next_name is None:
                continue
            next_sets = tuple(a.step(s, ch) for a, s in zip(automata, sets))
            # An automaton that must accept and has no state left can never accept again.
            if any(w and not s for s, w in zip(next_sets, want)):
                continue
            key = (next_name, next_sets)
            if key not in seen:
                seen.add(key)
                queue.append((key, name + ch))
    return None


def example(glob):
    """A repository name glob matches, or None when it matches none."""
    return search([glob], [True])


def outside(inner, outer):
    """A repository name inner matches and outer does not, or None when outer contains inner."""
    return search([inner, outer], [True, False])


def common(first, second):
    """A repository name both globs match, or None when they are disjoint."""
    return search([first, second], [True, True])
