"""YAML with line numbers: plain data plus a map from key paths to source lines.

The document is built from the parser's event stream (libyaml's C parser when PyYAML has it,
else the pure-Python one), without PyYAML's recursive composer, so hostile files are refused
early with a line number instead of exhausting memory or the stack:

* aliases may repeat at most :data:`MAX_ALIASED` values in all and the document may hold at most
  :data:`MAX_NODES` (an "alias bomb" stops at once); an alias may not refer to the node that
  contains it;
* nesting is limited to :data:`MAX_DEPTH` levels;
* only YAML's standard tags are accepted (no ``!python/...``, no custom tags);
* one document per file.
"""
from __future__ import annotations

import copy

import yaml

from .errors import ScenarioError

__all__ = ["load_yaml", "path_str", "MAX_NODES", "MAX_ALIASED", "MAX_DEPTH", "MAX_BYTES"]

Path = tuple  # of str | int

MAX_NODES = 1_000_000       # values in the document, aliases expanded
MAX_ALIASED = 100_000       # values that aliases repeat, in all
MAX_DEPTH = 64              # nesting of mappings and lists
MAX_BYTES = 20_000_000      # size of a scenario text

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVER = yaml.resolver.Resolver()


def path_str(path: Path) -> str:
    """``('job', 'operators', 2, 'type')`` -> ``job.operators[2].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _yaml_error(exc: yaml.YAMLError, text: str, file: str) -> ScenarioError:
    if isinstance(exc, yaml.reader.ReaderError):        # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return ScenarioError(f"not valid YAML: the control character U+{char:04X} is not allowed in a YAML file",
                             file=file, line=line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "nesting depth" in problem:
        problem = f"nested too deep (a scenario needs a handful of levels, at most {MAX_DEPTH})"
    context = getattr(exc, "context", None)
    text_ = f"{context}, {problem}" if context and "while" not in context else problem
    return ScenarioError(f"not valid YAML: {text_}", file=file, line=mark.line + 1 if mark else None)


class _Builder:
    """Plain data and key-path lines from parser events, with limits on size, depth and tags."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path, int] = {}
        self.stack: list[dict] = []            # open mappings and lists
        self.anchors: dict[str, tuple] = {}    # anchor -> (value, size)
        self.open_anchors: set = set()
        self.nodes = 0
        self.aliased = 0
        self.root = None
        self.documents = 0

    def fail(self, message: str, line: int, path: Path = ()) -> ScenarioError:
        return ScenarioError(message, file=self.file, line=line, path=path_str(path) or None)

    def child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        return top["path"] + ((top["key"],) if top["kind"] == "map" else (len(top["value"]),))

    def count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise self.fail(f"the document holds more than {MAX_NODES:,} values once its aliases (*name) are "
                            "expanded; a scenario never needs that many (is it an alias bomb?)", line)

    def check_tag(self, tag, allowed, line: int) -> None:
        if tag not in (None, "!") and tag not in allowed:
            tag = "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag
            raise self.fail(f"unknown YAML tag '{tag}': scenario files use plain values only "
                            "(no !tags except YAML's standard ones)", line, self.child_path())

    def event(self, ev) -> None:
        line = ev.start_mark.line + 1
        if isinstance(ev, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail("a scenario file holds one YAML document; a second one starts here", line)
        elif isinstance(ev, yaml.ScalarEvent):
            self.scalar(ev, line)
        elif isinstance(ev, yaml.AliasEvent):
            self.alias(ev, line)
        elif isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.start(ev, line)
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            frame = self.stack.pop()
            if frame["anchor"]:
                self.open_anchors.discard(frame["anchor"])
                self.anchors[frame["anchor"]] = (frame["value"], self.nodes - frame["nodes"] + 1)
            self.add(frame["value"], frame["line"], scalar=False, pushed=True)

    def scalar(self, ev, line: int) -> None:
        self.check_tag(ev.tag, _SCALAR_TAGS, line)
        tag = ev.tag if ev.tag not in (None, "!") else _RESOLVER.resolve(yaml.ScalarNode, ev.value, ev.implicit)
        if ev.tag == "!" or tag not in _SCALAR_TAGS:       # dates, '<<', '=': plain text here
            tag = _STD + "str"
        node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
        try:
            value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)    # uncached: no memory kept
        except (ValueError, TypeError, OverflowError):
            raise self.fail(f"{ev.value!r} is not a valid {tag[len(_STD):]}", line, self.child_path()) from None
        self.count(1, line)
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.add(value, line, scalar=True)

    def alias(self, ev, line: int) -> None:
        if ev.anchor in self.open_anchors:
            raise self.fail(f"alias *{ev.anchor} refers to the node that contains it (an endless value)",
                            line, self.child_path())
        if ev.anchor not in self.anchors:
            raise self.fail(f"alias *{ev.anchor} names no anchor &{ev.anchor} above it", line, self.child_path())
        value, size = self.anchors[ev.anchor]
        self.aliased += size
        if self.aliased > MAX_ALIASED:
            raise self.fail(f"aliases (*name) repeat more than {MAX_ALIASED:,} values in all; a scenario never "
                            "needs that many (is it an alias bomb?)", line)
        self.count(size, line)
        self.add(copy.deepcopy(value) if size > 1 else value, line, scalar=size == 1)

    def start(self, ev, line: int) -> None:
        is_map = isinstance(ev, yaml.MappingStartEvent)
        self.check_tag(ev.tag, {_STD + ("map" if is_map else "seq")}, line)
        if self.stack and self.stack[-1]["kind"] == "map" and self.stack[-1]["key"] is None:
            raise self.fail("a key must be a plain name, not a list or a mapping", line, self.stack[-1]["path"])
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep; a scenario needs a handful",
                            line, self.child_path())
        path = self.child_path()
        self.lines.setdefault(path, line)
        self.count(1, line)
        self.stack.append({"kind": "map" if is_map else "seq", "value": {} if is_map else [], "path": path,
                           "key": None, "anchor": ev.anchor, "nodes": self.nodes, "line": line})
        if ev.anchor:
            self.open_anchors.add(ev.anchor)

    def add(self, value, line: int, scalar: bool, pushed: bool = False) -> None:
        if not self.stack:
            self.root = value
            self.lines.setdefault((), line)
            return
        top = self.stack[-1]
        if top["kind"] == "seq":
            if not pushed:
                self.lines.setdefault(top["path"] + (len(top["value"]),), line)
            top["value"].append(value)
        elif top["key"] is None:
            self.set_key(top, value, line, scalar)
        else:
            path = top["path"] + (top["key"],)
            self.lines.setdefault(path, line)
            top["value"][top["key"]] = value
            top["key"] = None

    def set_key(self, top: dict, key, line: int, scalar: bool) -> None:
        if not scalar or not isinstance(key, (str, int, float)) or isinstance(key, bool):
            raise self.fail(f"a key must be a plain name, got {key!r}", line, top["path"])
        key = str(key)
        if key in top["value"]:
            raise self.fail(f"duplicate key '{key}'", line, top["path"] + (key,))
        self.lines[top["path"] + (key,)] = line
        top["key"] = key


def load_yaml(text: str, file: str) -> tuple[object, dict[Path, int]]:
    """Parse YAML text into Python data and ``{key path: line}`` (1-based)."""
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"the file is larger than {MAX_BYTES // 1_000_000} MB; a scenario is a short "
                            "description (use input.generate for many records)", file=file)
    builder = _Builder(file)
    try:
        for ev in yaml.parse(text, Loader=_LOADER):
            builder.event(ev)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, file) from None
    return builder.root, builder.lines
