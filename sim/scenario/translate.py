"""Turn pydantic's validation errors into one ScenarioError with file, line and key path."""
from __future__ import annotations

from pydantic import BaseModel, ValidationError

from .errors import ScenarioError
from .yamlsrc import path_str

__all__ = ["validate_model", "line_for"]


def line_for(lines: dict, path: tuple) -> int | None:
    """The YAML line of ``path``, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _resolve(data, loc: tuple) -> tuple[tuple, bool]:
    """Map pydantic's ``loc`` to a path in the raw data, dropping union tags.

    Returns (path, complete) where complete says whether every element was found in the data.
    """
    path, node = [], data
    for i, part in enumerate(loc):
        if isinstance(part, str) and ":" in part:        # a callable-discriminator tag
            continue
        if isinstance(node, dict) and part in node:
            rest = loc[i + 1:]
            nxt = rest[0] if rest else None
            child = node[part]
            # a literal discriminator tag equal to an existing key is ambiguous: prefer descending
            if nxt is not None and not isinstance(child, (dict, list)) and isinstance(nxt, str) and nxt in node:
                continue
            path.append(part)
            node = child
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1:
            path.append(part)          # a missing key: name it
            return tuple(path), False
        else:
            continue                   # a tag that is not a key (e.g. the operator type)
    return tuple(path), True


def _num(v):
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000 else v


def _got(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# pydantic error types -> plain words (a "got ..." follows when the value is known)
_PLAIN = {
    "greater_than_equal": "expected a number of at least {ge}",
    "greater_than": "expected a number above {gt}",
    "less_than_equal": "expected a number of at most {le}",
    "less_than": "expected a number below {lt}",
    "finite_number": "expected a finite number",
    "int_parsing": "expected a whole number", "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number", "float_type": "expected a number",
    "string_type": "expected text", "bool_parsing": "expected true or false", "bool_type": "expected true or false",
    "list_type": "expected a list", "tuple_type": "expected a list",
    "dict_type": "expected a mapping of keys", "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "too_short": "expected at least {min_length} item(s)", "too_long": "expected at most {max_length} item(s)",
    "string_pattern_mismatch": "expected a name of letters, digits, '_' and '-', starting with a letter or '_'",
    "string_too_long": "expected at most {max_length} characters",
}


def _message(err: dict, value_known: bool, value) -> str:
    etype, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    key = err["loc"][-1] if err["loc"] else None
    if etype == "extra_forbidden":
        return f"unknown key '{key}'"
    if etype == "missing":
        return f"missing required key '{key}'"
    if etype == "union_tag_not_found":
        return f"missing required key {ctx.get('discriminator', 'type')}"
    if etype in _PLAIN:
        text = _PLAIN[etype].format(**{k: _num(v) for k, v in ctx.items()})
        return text + (f", got {_got(value)}" if value_known else "")
    if etype == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        what = ctx.get("discriminator", "type").strip("'")
        what = "operator type" if what == "type" else what
        return f"unknown {what} {ctx.get('tag')!r}; expected one of {expected}"
    if etype == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {_got(value)}"
    if etype in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = msg[0].lower() + msg[1:] if msg else etype
    text = text.replace("input should be", "expected")
    if value_known:
        text += f", got {_got(value)}"
    return text


def validate_model(model: type[BaseModel], data: dict, lines: dict, file: str):
    """``model.model_validate(data)``; the first error becomes a ScenarioError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # prefer errors that are not about union members that were never meant
        rank = {"extra_forbidden": 0, "missing": 2}
        err = sorted(errors, key=lambda e: rank.get(e["type"], 1))[0]
        path, complete = _resolve(data, tuple(err["loc"]))
        value = err.get("input")
        message = _message(err, complete and err["type"] != "missing", value)
        if err["type"] == "extra_forbidden":
            missing = [e["loc"][-1] for e in errors if e["type"] == "missing"
                       and tuple(e["loc"][:-1]) == tuple(err["loc"][:-1])]
            import difflib                 # only for an error: not a cost of every start-up

            close = difflib.get_close_matches(str(err["loc"][-1]), [str(m) for m in missing], n=1)
            if close:
                message += f" (did you mean '{close[0]}'?)"
        raise ScenarioError(message, file=file, line=line_for(lines, path),
                            path=path_str(path) or None) from None
