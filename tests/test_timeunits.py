"""Times as people write and read them."""

from __future__ import annotations

import pytest

from analog_deploy.timeunits import format_seconds, parse_seconds


@pytest.mark.parametrize("text, seconds", [
    ("0", 0.0), ("3600", 3600.0), ("1.5", 1.5), ("10s", 10.0), ("2m", 120.0), ("1h", 3600.0), ("1d", 86400.0),
    ("1w", 604800.0), ("1mo", 2592000.0), ("1y", 31536000.0), (" 2.5D ", 216000.0),
])
def test_parse(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1x", "-1", "-1h", "inf", "nan"])
def test_parse_rejects(text):
    with pytest.raises(ValueError, match="time"):
        parse_seconds(text)


@pytest.mark.parametrize("seconds, text", [
    (0.0, "0 s"), (0.5, "0.5 s"), (1.0, "1 s"), (90.0, "1.5 min"), (3600.0, "1 hour"), (7200.0, "2 hours"),
    (86400.0, "1 day"), (604800.0, "1 week"), (2592000.0, "1 month"), (31536000.0, "1 year"), (3.1536e8, "10 years"),
])
def test_format(seconds, text):
    assert format_seconds(seconds) == text
