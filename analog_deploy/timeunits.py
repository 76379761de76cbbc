"""Times after programming as people write them (``1h``, ``1d``, ``1y``) and read them
("1 hour", "1 year"): one table of units for the command line, tables and plots."""

from __future__ import annotations

DAY = 86400.0

_PARSE = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY, "w": 7 * DAY, "mo": 30 * DAY, "y": 365 * DAY}
_NAMES = (("year", 365 * DAY), ("month", 30 * DAY), ("week", 7 * DAY), ("day", DAY), ("hour", 3600.0),
          ("min", 60.0), ("s", 1.0))


def parse_seconds(text: str) -> float:
    """Seconds from ``3600``, ``1h``, ``2.5d``, ``1mo`` (30 days) or ``1y`` (365 days);
    ``m`` is minutes."""
    stripped = text.strip().lower()
    unit = next((u for u in ("mo", "s", "m", "h", "d", "w", "y") if stripped.endswith(u)), "")
    try:
        value = float(stripped[: len(stripped) - len(unit)]) * _PARSE.get(unit, 1.0)
    except ValueError:
        raise ValueError(f"{text!r} is not a time (seconds, or a number with a unit s, m, h, d, w, mo, y: "
                         "e.g. 3600, 1h, 1d, 1y)") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"time {text!r} must be finite and >= 0")
    return value


def format_seconds(seconds: float) -> str:
    """The largest unit the time reaches, e.g. ``3600 -> "1 hour"``, ``2.592e6 -> "1 month"``."""
    name, size = next(((n, s) for n, s in _NAMES if seconds >= s), _NAMES[-1])
    text = f"{seconds / size:.3g}"
    plural = "s" if name not in ("s", "min") and text != "1" else ""
    return f"{text} {name}{plural}"
