"""Check a Lua script's source: every key it touches must be one it declared in KEYS.

Redis Cluster routes a script by its declared keys and refuses a key whose slot the node
does not serve; a key name built inside the script (``p .. ':alarm:' .. id``) works on one
Redis and breaks on a cluster. The rule checked, for each ``redis.call``/``redis.pcall``:
its key (the word after the command) is ``KEYS[...]``, or a name (``x``, ``t.x``) that is
only ever assigned ``KEYS[...]`` (or walks ``ipairs(KEYS)``). A command given whole from data (``unpack(c)``) passes only
where the script first refuses one whose key is not declared (``declared[c[2]]``).
Pure text work, no Redis: ``tests/trust/test_script_keys.py`` runs it over every script.
"""

from __future__ import annotations

import re

_CALL = re.compile(r"redis\.p?call\(")
_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*$")
_UNPACK = re.compile(r"^unpack\(([A-Za-z_]\w*)\)$")


def _is_keys(expr: str) -> bool:
    """``KEYS[...]``: an element of KEYS, whatever the index, and nothing after it."""
    if not expr.startswith("KEYS["):
        return False
    depth = 0
    for i, ch in enumerate(expr):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth == 0 and ch == "]":
            return i == len(expr) - 1
    return False


def _arguments(src: str, start: int) -> list[str]:
    """The top-level, comma-separated arguments of the call whose '(' is before ``start``."""
    depth, out, cur = 0, [], []
    quote = ""
    for ch in src[start:]:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                out.append("".join(cur).strip())
                return out
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    raise ValueError("unbalanced redis.call(")


def _assignments(src: str, key: str) -> list[str]:
    """Right-hand sides assigned to ``key``: a name's locals and plain assignments, or a
    table field's (``t.x = ...`` and ``{x = ...}``) for ``t.x``."""
    table, _, name = key.rpartition(".")
    n = re.escape(name)
    where = rf"(?:[A-Za-z_]\w*\.{n}|[{{,]\s*{n})" if table else rf"(?<![\w.]){n}"
    pattern = re.compile(where + r"\s*=(?!=)\s*([^,\n}]+)")
    out = [m.group(1).strip() for m in pattern.finditer(src)]
    if not table:  # for _, key in ipairs(KEYS): each element in turn
        loop = re.compile(rf"for\s+\w+\s*,\s*{n}\s+in\s+ipairs\(KEYS\)")
        out += ["KEYS[i]" for _ in loop.finditer(src)]
    return out


def undeclared_keys(src: str) -> list[str]:
    """What in ``src`` touches a key not declared in KEYS, one line each; [] when none."""
    problems = []
    for m in _CALL.finditer(src):
        args = _arguments(src, m.end())
        line = src.count("\n", 0, m.start()) + 1
        unpacked = _UNPACK.match(args[0])
        if unpacked:
            guard = f"declared[{unpacked.group(1)}[2]]"
            if guard not in src:
                problems.append(f"line {line}: {args[0]} runs a command whose key is unchecked")
            continue
        if len(args) < 2:
            continue  # a command without a key
        key = args[1]
        if _is_keys(key):
            continue
        named = _NAME.match(key)
        if named is None:
            problems.append(f"line {line}: key {key!r} is built, not declared in KEYS")
            continue
        sources = _assignments(src, key)
        bad = [s for s in sources if not _is_keys(s)]
        if not sources or bad:
            given = ", ".join(bad) or "nothing (a parameter?)"
            problems.append(f"line {line}: key {key!r} is assigned {given}, not KEYS[...]")
    return problems
