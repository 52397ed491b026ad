"""Readable configuration errors shared by the hub and the edge.

A config file that is wrong yields one ``ConfigProblem`` per mistake, printed as one line:
``FILE: key.path: got VALUE: reason``. Text in, problems out: reading files is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    file: str
    path: str
    reason: str
    value: Any = None
    has_value: bool = False

    def __str__(self) -> str:
        shown = f"got {_show(self.value)}: " if self.has_value else ""
        return f"{self.file}: {self.path or '(top level)'}: {shown}{self.reason}"


class ConfigError(Exception):
    """Raised with every problem found; ``str()`` is one line per problem."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _show(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def problem(file: str, path: str, reason: str, *values: Any) -> ConfigProblem:
    """A problem, with the offending value when one is given."""
    return ConfigProblem(file, path, reason, values[0] if values else None, bool(values))


def problems_from_validation(
    err: ValidationError, file: str, data: Any = None, base: str = ""
) -> list[ConfigProblem]:
    """Turn pydantic's errors into problems; list indexes become ``[i]`` or the item's id."""
    out = []
    for item in err.errors(include_url=False):
        path = _path(item["loc"], data, base)
        kind = item["type"]
        if kind == "missing":
            out.append(problem(file, path, "required key is missing"))
        elif kind == "extra_forbidden":
            out.append(problem(file, path, "unknown key", item.get("input")))
        else:
            msg = item["msg"].removeprefix("Value error, ")
            out.append(problem(file, path, msg, item.get("input")))
    return out


_ID_KEYS = ("camera_id", "zone_id", "code", "person_id", "box_id")


def _path(loc: tuple[Any, ...], data: Any, base: str) -> str:
    """``cameras[cam-03].zones[ground].target.lon`` when the list items carry ids."""
    parts = [base] if base else []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = str(key)
            if isinstance(node, list) and 0 <= key < len(node) and isinstance(node[key], dict):
                for id_key in _ID_KEYS:
                    if isinstance(node[key].get(id_key), str):
                        label = node[key][id_key]
                        break
            if parts:
                parts[-1] += f"[{label}]"
            else:
                parts.append(f"[{label}]")
            node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
        else:
            if isinstance(key, str) and key.startswith(("function-", "tagged-union")):
                continue
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses a key written twice in one mapping. libyaml's parser where
    PyYAML has it (a 12,000-camera cameras.yaml: about 2.5 s instead of 8 s); the
    constructor, and so the duplicate-key check, is Python's either way."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML strictly (no duplicate keys); a syntax error is a ConfigError naming the line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError([problem(file, where, f"YAML error: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([problem(file, "", f"YAML error: {exc}")]) from None
