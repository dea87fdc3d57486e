"""Unit parsers: durations, rates and probabilities become SI floats, or a ValueError."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archsim.spec.units import (
    DURATION_UNITS,
    RATE_UNITS,
    format_duration,
    parse_duration,
    parse_probability,
    parse_rate,
)

seconds = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(), st.sampled_from([10**400, -10**400]),
                    st.floats(allow_nan=True, allow_infinity=True))
anything = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=20),
    st.from_regex(r"\A\s?-?[0-9.eE+]{0,6}\s?[a-zA-Zµ/% ]{0,5}\Z"),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2),
)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


# --- durations -------------------------------------------------------------------------------

@given(seconds)
def test_format_then_parse_duration_round_trips(value: float) -> None:
    assert close(parse_duration(format_duration(value)), value)


@given(seconds, st.sampled_from(sorted(DURATION_UNITS)), st.sampled_from(["", " "]))
def test_duration_with_any_unit_is_number_times_factor(
        number: float, unit: str, blank: str) -> None:
    text = f"{number!r}{blank}{unit}"
    assert close(parse_duration(text), number * DURATION_UNITS[unit])


@pytest.mark.parametrize(("text", "expected"), [
    ("250us", 250e-6), ("250µs", 250e-6), ("4ms", 0.004), ("1.5s", 1.5), ("2m", 120.0),
    ("2min", 120.0), ("1h", 3600.0), ("10ns", 1e-8), (".5s", 0.5), ("0s", 0.0),
    (" 4 ms ", 0.004), ("1e3ms", 1.0),
])
def test_duration_examples(text: str, expected: float) -> None:
    assert close(parse_duration(text), expected)


@given(st.one_of(st.integers(min_value=0, max_value=10**9),
                 st.floats(min_value=0, max_value=1e9, allow_nan=False)))
def test_bare_number_duration_names_a_probable_unit(number: float) -> None:
    for value in (number, str(number)):
        with pytest.raises(ValueError, match="needs a unit") as info:
            parse_duration(value)
        assert "did you mean '" in str(info.value)
        assert "ms'" in str(info.value) or "s'" in str(info.value)


@pytest.mark.parametrize(("value", "suggestion"), [
    (4, "did you mean '4ms' or '4s'?"),
    (250, "did you mean '250ms' or '250s'?"),
    (0.5, "did you mean '0.5s' (or '500ms')?"),
    ("30", "did you mean '30ms' or '30s'?"),
])
def test_bare_number_suggestion_text(value: object, suggestion: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == (f"a duration needs a unit, got the bare number {value!r}; "
                               f"{suggestion}")


@pytest.mark.parametrize(("value", "message"), [
    ("4 sec", "unknown duration unit 'sec' in '4 sec'; expected one of ns, us, ms, s, m, min, "
              "h. Did you mean '4s'?"),
    ("4MS", "unknown duration unit 'MS' in '4MS'; expected one of ns, us, ms, s, m, min, h. "
            "Did you mean '4ms'?"),
    ("3 fortnights", "unknown duration unit 'fortnights' in '3 fortnights'; expected one of "
                     "ns, us, ms, s, m, min, h"),
    ("-4ms", "a duration must be finite and >= 0, got '-4ms'"),
    (-4, "a duration must be finite and >= 0 with a unit, got -4"),
    ("1e999s", "a duration must be finite and >= 0, got '1e999s'"),
    (float("nan"), "a duration must be finite and >= 0 with a unit, got nan"),
    (10**400, "a duration must be finite and >= 0 with a unit, got "
              "1000000000000000000000000000000000000..."),
    ("fast", "expected a duration such as '4ms' or '1.5s', got 'fast'"),
    ("", "expected a duration such as '4ms' or '1.5s', got ''"),
    (True, "expected a duration such as '4ms' or '1.5s', got True"),
    (None, "expected a duration such as '4ms' or '1.5s', got None"),
    ([4], "expected a duration such as '4ms' or '1.5s', got [4]"),
])
def test_bad_durations_say_what_was_given(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == message


@given(anything)
def test_duration_parser_returns_seconds_or_raises_value_error(value: object) -> None:
    try:
        result = parse_duration(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(result, float) and math.isfinite(result) and result >= 0


# --- rates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [400, 400.0, "400", "400/s", "400/sec", "24000/min",
                                   "24000/m", "1440000/h", "0.4/ms", " 400 / s "])
def test_rate_forms_are_per_second(value: object) -> None:
    assert close(parse_rate(value), 400.0)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False),  # x1000 for /ms: within 1e9/s
       st.sampled_from(sorted(RATE_UNITS)))
def test_rate_with_any_unit_is_number_times_factor(number: float, unit: str) -> None:
    assert close(parse_rate(number), number)
    assert close(parse_rate(f"{number!r}/{unit}"), number * RATE_UNITS[unit])


@pytest.mark.parametrize(("value", "message"), [
    (-5, "a rate must be finite and >= 0, got -5"),
    ("-5/s", "a rate must be finite and >= 0, got '-5/s'"),
    (float("inf"), "a rate must be finite and >= 0, got inf"),
    ("100/fortnight", "unknown rate unit '/fortnight' in '100/fortnight'; "
                      "expected /s, /min, /h or /ms"),
    (10**400, "a rate must be finite and >= 0, got 1000000000000000000000000000000000000..."),
    ("fast", "expected a rate such as 400, '400/s' or '24000/min', got 'fast'"),
    (True, "expected a rate such as 400, '400/s' or '24000/min', got True"),
    (None, "expected a rate such as 400, '400/s' or '24000/min', got None"),
])
def test_bad_rates(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_rate(value)
    assert str(info.value) == message


@given(anything)
def test_rate_parser_returns_rate_or_raises_value_error(value: object) -> None:
    try:
        result = parse_rate(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(result, float) and math.isfinite(result) and result >= 0


# --- probabilities ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (0.1, 0.1), ("10%", 0.1), ("0.1", 0.1), (0, 0.0), (1, 1.0), ("0%", 0.0), ("100%", 1.0),
    (" 12.5 % ", 0.125),
])
def test_probability_forms(value: object, expected: float) -> None:
    assert close(parse_probability(value), expected)


@given(st.floats(min_value=0, max_value=1))
def test_probability_number_and_percentage_agree(prob: float) -> None:
    assert parse_probability(prob) == prob
    assert close(parse_probability(f"{prob * 100!r}%"), prob)


@pytest.mark.parametrize(("value", "message"), [
    (1.5, "a probability must be in [0, 1], got 1.5; did you mean '1.5%'?"),
    (50, "a probability must be in [0, 1], got 50; did you mean '50%'?"),
    (150, "a probability must be in [0, 1] (or 0%..100%), got 150"),
    (-0.1, "a probability must be in [0, 1] (or 0%..100%), got -0.1"),
    ("150%", "a probability must be in [0, 1] (or 0%..100%), got '150%'"),
    (float("nan"), "a probability must be in [0, 1] (or 0%..100%), got nan"),
    (-10**400, "a probability must be in [0, 1] (or 0%..100%), got "
               "-100000000000000000000000000000000000..."),
    ("often", "expected a probability such as 0.1 or '10%', got 'often'"),
    (None, "expected a probability such as 0.1 or '10%', got None"),
    (True, "expected a probability such as 0.1 or '10%', got True"),
])
def test_bad_probabilities(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_probability(value)
    assert str(info.value) == message


@given(anything)
def test_probability_parser_returns_probability_or_raises_value_error(value: object) -> None:
    try:
        result = parse_probability(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(result, float) and 0 <= result <= 1
