"""Bearer tokens with roles. Tokens come from the environment or a tokens file, never code.

Format (env var or file, one entry per line or separated by commas):
``TOKEN ROLE [PERSON_ID] [area=PLACE] [department=ID]`` with ROLE one of operator, responder,
technician, admin. A responder needs the person id whose cases they see. ``area=`` scopes the
token to a street, community or grid code of the district (``hub.domain.area``); without it the
token sees the whole county. ``department=`` (an id of ``departments.yaml``) scopes it to the
cases that department owns: a department's desk. Each area and department is checked against
the district at start (``check_areas``): an unknown one stops the hub.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.domain.area import LEVELS, Area, AreaError, parse_area

if TYPE_CHECKING:
    from hub.district import District

ROLES = ("operator", "responder", "technician", "admin")
DEPARTMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    person_id: str | None = None
    area: Area | None = None  # None: the whole county
    department: str | None = None  # None: every department's cases

    @property
    def scoped(self) -> bool:
        """Whether the token sees less than the whole county (an area or a department)."""
        return self.area is not None or self.department is not None


class TokenError(ValueError):
    pass


def parse_tokens(text: str, where: str) -> dict[str, Principal]:
    out: dict[str, Principal] = {}
    for n, entry in enumerate(text.replace(",", "\n").splitlines(), 1):
        parts = entry.split("#", 1)[0].split()
        if not parts:
            continue
        area, department = None, None
        while parts and "=" in parts[-1]:
            key, _, value = parts.pop().partition("=")
            if key == "area" and area is None:
                area = _area(value, f"{where} entry {n}")
            elif key == "department" and department is None and DEPARTMENT_ID.match(value):
                department = value
            else:
                raise TokenError(
                    f"{where} entry {n}: unexpected {key}={value!r}; "
                    "expected at most one area=PLACE and one department=ID"
                )
        if len(parts) not in (2, 3):
            raise TokenError(
                f"{where} entry {n}: expected 'TOKEN ROLE [PERSON_ID] [area=PLACE] [department=ID]'"
            )
        token, role = parts[0], parts[1]
        if role not in ROLES:
            raise TokenError(f"{where} entry {n}: unknown role {role!r}; roles are {ROLES}")
        if len(token) < 16:
            raise TokenError(f"{where} entry {n}: token shorter than 16 characters")
        person = parts[2] if len(parts) == 3 else None
        if role == "responder" and person is None:
            raise TokenError(f"{where} entry {n}: a responder token needs a person id")
        out[token] = Principal(person or role, role, person, area, department)
    return out


def _area(code: str, where: str) -> Area:
    level = LEVELS.get(len(code)) if code.isdigit() else None
    if level is None:
        raise TokenError(
            f"{where}: area {code!r} must be a county (6 digits), street (9), "
            "community (12) or grid (15) code"
        )
    return Area(level, code)


def check_areas(tokens: Mapping[str, Principal], district: District) -> None:
    """Every token's area is a place of ``district`` and its department one of its
    departments; ``TokenError`` names the first that is not (by role and person, never the
    token)."""
    grids = district.grids
    departments = {d.id for d in district.departments.departments}
    for p in tokens.values():
        if p.department is not None and p.department not in departments:
            raise TokenError(
                f"API token of {p.role} {p.name!r}: unknown department {p.department!r}; "
                f"known: {sorted(departments)}"
            )
        if p.area is None:
            continue
        try:
            parse_area(
                p.area.code, district.county.code, district.streets, district.communities, grids
            )
        except AreaError as exc:
            raise TokenError(f"API token of {p.role} {p.name!r}: {exc}") from None


def load_tokens(env_var: str, file: Path | None, demo_mode: bool) -> dict[str, Principal]:
    """Tokens from ``$env_var`` and the file; in demo mode, fresh random ones if none."""
    tokens: dict[str, Principal] = {}
    if os.environ.get(env_var):
        tokens |= parse_tokens(os.environ[env_var], f"${env_var}")
    if file is not None:
        try:
            tokens |= parse_tokens(file.read_text(encoding="utf-8"), str(file))
        except OSError as exc:
            raise TokenError(f"cannot read tokens file {file}: {exc.strerror}") from None
    if not tokens and demo_mode:
        for role in ("operator", "technician", "admin"):
            tokens[f"demo-{role}-{secrets.token_hex(8)}"] = Principal(role, role)
        print("demo tokens:", ", ".join(f"{p.role}={t}" for t, p in tokens.items()), flush=True)
    if not tokens:
        raise TokenError(f"no API tokens: set ${env_var} or auth.tokens_file (or demo_mode)")
    return tokens


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an ``Authorization: Bearer`` header among raw ASGI headers, if any."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, cred = value.decode("latin-1").partition(" ")
            return cred.strip() if scheme.lower() == "bearer" and cred.strip() else None
    return None


def known_bearer(tokens: Mapping[str, Principal]) -> Callable[[Mapping[str, Any]], bool]:
    """Whether an ASGI request scope carries a bearer token the hub knows."""

    def check(scope: Mapping[str, Any]) -> bool:
        token = bearer_token(scope.get("headers", []))
        return token is not None and token in tokens

    return check
