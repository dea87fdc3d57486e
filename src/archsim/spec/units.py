"""Unit parsing: durations, rates and probabilities to SI floats.

Durations always carry a unit (``250us``, ``4ms``, ``1.5s``, ``2m``, ``1h``) and become
seconds. Rates are per second (``400``, ``400/s``, ``24000/min``, ``3600/h``). Probabilities
are numbers in [0, 1] or percentage strings (``"10%"``). These are the only places where units
are converted; everything past the spec layer is in seconds and per-second.
"""

from __future__ import annotations

import math
import re

DURATION_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # micro sign
    "μs": 1e-6,  # Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
}
UNIT_SPELLINGS: dict[str, str] = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "msec": "ms", "msecs": "ms",
    "millis": "ms", "usec": "us", "usecs": "us", "mins": "min", "minute": "min",
    "minutes": "min", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
}
"""Other spellings of a duration unit, used only to suggest the accepted one."""
MAX_RATE_PER_S = 1e9
"""Largest rate (per second). archsim simulates every request, about a million per second of
processor time: a billion per second is beyond any single request class and would never finish
(see :mod:`archsim.spec.limits`)."""
RATE_UNITS: dict[str, float] = {"ms": 1000.0, "s": 1.0, "sec": 1.0, "min": 1 / 60, "m": 1 / 60,
                                "h": 1 / 3600}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµμ]+)\s*$")
_BARE_RE = re.compile(rf"^\s*({_NUMBER})\s*$")
_RATE_RE = re.compile(rf"^\s*({_NUMBER})\s*(?:/\s*([a-z]+))?\s*$")
_PERCENT_RE = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: object) -> str:
    """``repr(value)``, cut short for very long inputs."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float(value: object) -> float:
    """A YAML number as a float; integers too large for a float become infinity."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


def guess_duration_unit(number: float) -> str:
    """Say which unit a bare duration number probably meant (for error messages)."""
    if number >= 1:
        return f"'{_trim(number)}ms' or '{_trim(number)}s'"
    return f"'{_trim(number)}s' (or '{_trim(number * 1000)}ms')"


def _trim(number: float) -> str:
    return f"{number:g}"


def parse_duration(value: object) -> float:
    """Parse a duration with a unit into seconds.

    Parameters
    ----------
    value:
        A string such as ``"250us"``, ``"4ms"``, ``"1.5s"``, ``"2m"``.

    Returns
    -------
    float
        The duration in seconds, finite and >= 0.

    Raises
    ------
    ValueError
        For a bare number (the message says which unit was probably meant), an unknown unit,
        a negative or non-finite value, or anything that is not a string.
    """
    bare = _BARE_RE.match(value) if isinstance(value, str) else None
    if _is_number(value) or bare:
        number = float(bare.group(1)) if bare else _as_float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"a duration must be finite and >= 0 with a unit, got {_show(value)}")
        raise ValueError(
            f"a duration needs a unit, got the bare number {_show(value)}; "
            f"did you mean {guess_duration_unit(number)}?"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '4ms' or '1.5s', got {_show(value)}")
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"expected a duration such as '4ms' or '1.5s', got {_show(value)}")
    number, unit = float(match.group(1)), match.group(2)
    if unit not in DURATION_UNITS:
        known = ", ".join(u for u in DURATION_UNITS if u not in ("µs", "μs"))
        meant = UNIT_SPELLINGS.get(unit.lower(), unit.lower())
        hint = f" Did you mean '{match.group(1)}{meant}'?" if meant in DURATION_UNITS else ""
        raise ValueError(f"unknown duration unit {unit!r} in {_show(value)}; expected one of "
                         f"{known}.{hint}".removesuffix("."))
    seconds = number * DURATION_UNITS[unit]
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be finite and >= 0, got {_show(value)}")
    return seconds


def format_duration(seconds: float) -> str:
    """Format seconds with the largest unit that keeps the number >= 1 (inverse of parse)."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= factor or unit == "us":
            return f"{seconds / factor!r}{unit}"
    raise AssertionError("unreachable")


def parse_rate(value: object) -> float:
    """Parse a rate into events per second.

    Accepts a number (per second), ``"400/s"``, ``"24000/min"``, ``"10/ms"``, ``"3600/h"``.

    Raises
    ------
    ValueError
        For negative, non-finite or malformed values, an unknown time unit, or a rate above
        ``MAX_RATE_PER_S``.
    """
    if _is_number(value):
        rate = _as_float(value)
    elif isinstance(value, str):
        match = _RATE_RE.match(value)
        if not match:
            raise ValueError(
                f"expected a rate such as 400, '400/s' or '24000/min', got {_show(value)}")
        unit = match.group(2) or "s"
        if unit not in RATE_UNITS:
            raise ValueError(
                f"unknown rate unit '/{unit}' in {_show(value)}; expected /s, /min, /h or /ms"
            )
        rate = float(match.group(1)) * RATE_UNITS[unit]
    else:
        raise ValueError(f"expected a rate such as 400, '400/s' or '24000/min', got {_show(value)}")
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"a rate must be finite and >= 0, got {_show(value)}")
    if rate > MAX_RATE_PER_S:
        raise ValueError(f"a rate must be at most {MAX_RATE_PER_S:g} per second (archsim "
                         f"simulates every request), got {_show(value)}")
    return rate


def parse_probability(value: object) -> float:
    """Parse a probability: a number in [0, 1] or a percentage string such as ``"10%"``.

    Raises
    ------
    ValueError
        Outside [0, 1] (a number above 1 suggests the percentage form), or malformed.
    """
    if _is_number(value):
        prob = _as_float(value)
        if 1 < prob <= 100:
            raise ValueError(
                f"a probability must be in [0, 1], got {_show(value)}; "
                f"did you mean '{_trim(prob)}%'?"
            )
    elif isinstance(value, str):
        match = _PERCENT_RE.match(value)
        if match:
            prob = float(match.group(1)) / 100
        else:
            try:
                prob = float(value)
            except ValueError:
                raise ValueError(
                    f"expected a probability such as 0.1 or '10%', got {_show(value)}"
                ) from None
    else:
        raise ValueError(f"expected a probability such as 0.1 or '10%', got {_show(value)}")
    if not (0.0 <= prob <= 1.0) or math.isnan(prob):
        raise ValueError(f"a probability must be in [0, 1] (or 0%..100%), got {_show(value)}")
    return prob
