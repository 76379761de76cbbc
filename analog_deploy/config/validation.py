"""Checks shared by the config dataclasses, so every error names the field and the allowed range."""

from __future__ import annotations

import math
from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def check_number(
    owner: str,
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> None:
    """Raise ``ValueError`` unless ``value`` is a number inside the stated range."""
    kind = "an integer" if integer else "a number"
    valid_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not valid_type:
        raise ValueError(f"{owner}.{name} must be {kind}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}.{name} must be finite, got {value!r}")
    above = value >= low if low_inclusive else value > low
    below = value <= high if high_inclusive else value < high
    if not (above and below):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        raise ValueError(
            f"{owner}.{name} = {value!r} is out of range; allowed: {left}{low}, {high}{right}"
        )


def coerce_enum(owner: str, name: str, value: object, enum_type: type[E]) -> E:
    """Accept an enum member or its name/value string (as found in JSON); reject anything else."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        for member in enum_type:
            if value in (member.name, member.value):
                return member
    allowed = ", ".join(member.name for member in enum_type)
    raise ValueError(f"{owner}.{name} = {value!r} is not one of: {allowed}")
