"""Problem categories: 5-digit codes (2 major + 3 minor) and the detector classes they take.

Shared because the edge maps detector classes to category codes and the hub routes by them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.messages import CategoryCode

Urgency = Literal["routine", "urgent"]


class Category(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CategoryCode
    name_zh: Annotated[str, Field(min_length=1, max_length=40)]
    name_en: Annotated[str, Field(min_length=1, max_length=80)]
    department: Annotated[str, Field(min_length=1, max_length=40)]
    urgency: Urgency
    sla_profile: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    detector_classes: list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]] = []
    edge_rule: Literal["gas_cylinder_stack", "waste_dump", "dust"] | None = None
    auto_file_confidence: Annotated[float, Field(ge=0, le=1)] = 0.8
    local_extension: bool = False


class CategoryList(BaseModel):
    """The body of ``categories.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: list[Category]

    @model_validator(mode="after")
    def _unique(self) -> CategoryList:
        seen: set[str] = set()
        for cat in self.categories:
            if cat.code in seen:
                raise ValueError(f"category code {cat.code!r} appears twice")
            seen.add(cat.code)
        return self

    def by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}
