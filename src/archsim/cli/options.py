"""Options shared by the simulating commands, declared once.

Each ``typer`` option is built by a function whose arguments are the parts that differ from
command to command (a help text, where the default comes from); the ``Annotated`` aliases are
the common form. ``duration: options.Duration = None`` declares ``--duration`` as ``run``
does; ``Annotated[str | None, options.duration("Measured simulated time per point.")]`` as
``sweep`` does.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

FROM_FILE = "from the file"


def topology(help: str = "Topology file, or a bundled model name.",
             metavar: str = "TOPOLOGY") -> Any:
    """The TOPOLOGY argument."""
    return typer.Argument(help=help, show_default=False, metavar=metavar)


def duration(help: str = "Measured simulated time, e.g. 60s.",
             source: str = FROM_FILE) -> Any:
    """``--duration``: text such as ``60s``, parsed by :func:`parse_seconds`."""
    return typer.Option("--duration", help=help, show_default=source)


def warmup(source: str = FROM_FILE) -> Any:
    """``--warmup``: text such as ``5s`` or ``auto``, parsed by :func:`parse_seconds`."""
    return typer.Option("--warmup", help="Warm-up to discard, e.g. 5s, or 'auto'.",
                        show_default=source)


def replications(help: str = "Independent replications.",
                 source: str = FROM_FILE) -> Any:
    """``--replications``: at least 1."""
    return typer.Option("--replications", min=1, help=help, show_default=source)


def seed(source: str = FROM_FILE) -> Any:
    """``--seed``: the first replication's seed."""
    return typer.Option("--seed", min=0, help="Seed of the first replication.",
                        show_default=source)


def jobs(help: str = "Worker processes.") -> Any:
    """``--jobs``: worker processes, at most one per core (see :func:`cap_jobs`)."""
    return typer.Option("--jobs", min=1, help=help, show_default="all cores",
                        callback=cap_jobs)


def cap_jobs(value: int | None) -> int | None:
    """``--jobs`` capped at the cores this process may use, silently.

    More processes than cores only add start-up time and memory; the library further caps
    them at the replications (or the batch of a sweep). The results never depend on it.
    """
    if value is None:
        return None
    from archsim.engine import replicate

    return min(value, replicate.default_jobs())


def rate_scale(show_default: bool | str = True) -> Any:
    """``--rate-scale``: one factor on every open workload's rate, finite and > 0."""
    return typer.Option("--rate-scale", help="Multiply every open rate (> 0).",
                        show_default=show_default, callback=check_rate_scale)


def check_rate_scale(value: float | None) -> float | None:
    """A rate scale is a finite number > 0 (usage error, exit 2)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"expected a finite number > 0, such as 1.5, got {value:g}")
    return value


def check_rate_scales(values: list[float | str], text: str, flag: str) -> list[float]:
    """Every value of a rate-scale sweep is a finite number > 0 (usage error, exit 2)."""
    for value in values:
        if isinstance(value, str) or not (math.isfinite(value) and value > 0):
            raise typer.BadParameter(f"expected rate scales that are finite numbers > 0, got "
                                     f"{value!r} in {text!r}", param_hint=flag)
    return values  # type: ignore[return-value]


def overrides(help: str) -> Any:
    """``--set KEY=VALUE`` (repeatable); a malformed one is a usage error (exit 2)."""
    return typer.Option("--set", help=help, show_default=False, callback=check_overrides)


def check_overrides(values: list[str] | None) -> list[str] | None:
    """Every ``--set`` has the form ``KEY=VALUE`` with a well-formed key path.

    Whether the key and value fit the model is the loader's question (exit 1, located).
    """
    for text in values or ():
        problem = override_problem(text)
        if problem:
            raise typer.BadParameter(problem)
    return values


def override_problem(text: str) -> str | None:
    """Why ``text`` is not ``KEY=VALUE`` (``components.app.replicas=4``), or None."""
    from archsim.spec.overrides import parse_key

    key, sep, _ = text.partition("=")
    if not sep:
        return f"expected KEY=VALUE, such as components.app.replicas=4, got {text!r}"
    if not key.strip():
        return f"expected a KEY before '=', such as components.app.replicas=4, got {text!r}"
    try:
        parse_key(key)
    except ValueError as exc:
        return f"{exc} in {text!r}; expected KEY=VALUE, such as components.app.replicas=4"
    return None


def as_json(help: str) -> Any:
    """``--json``: machine-readable output only."""
    return typer.Option("--json", help=help)


def output(help: str) -> Any:
    """``--output``/``-o``: the file to write."""
    return typer.Option("--output", "-o", help=help)


def max_in_flight(help: str) -> Any:
    """``--max-in-flight``: the bound past which a run counts as unstable."""
    return typer.Option("--max-in-flight", min=1, help=help)


def plot(help: str) -> Any:
    """``--plot FILE``: also draw charts (needs matplotlib)."""
    return typer.Option("--plot", help=help, show_default=False)


TopologyArg = Annotated[str, topology()]
Duration = Annotated[str | None, duration()]
Warmup = Annotated[str | None, warmup()]
Replications = Annotated[int | None, replications()]
Seed = Annotated[int | None, seed()]
Jobs = Annotated[int | None, jobs()]
RateScale = Annotated[float, rate_scale()]
Overrides = Annotated[list[str] | None, overrides("Override a value: KEY=VALUE (repeatable).")]
MAX_IN_FLIGHT = 200_000


def parse_seconds(value: str | None, flag: str, allow_auto: bool = False,
                  positive: bool = False) -> float | str | None:
    """A flag's duration in seconds (usage error, exit 2, when malformed).

    ``"file"`` when the flag is not given; None for ``auto`` when ``allow_auto``.
    """
    if value is None:
        return "file"
    if allow_auto and value == "auto":
        return None
    from archsim.spec.units import parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from None
    if positive and seconds <= 0:
        raise typer.BadParameter(f"expected a duration > 0, such as 60s, got {value!r}",
                                 param_hint=flag)
    return seconds


def parse_run_length(duration: str | None, warmup: str | None
                     ) -> tuple[float | None, float | str | None]:
    """``--duration`` and ``--warmup`` in seconds: ``(duration_s, warmup_s)``.

    ``duration_s`` is None and ``warmup_s`` ``"file"`` when not given (the file's setting);
    ``warmup_s`` is None for ``auto``. Usage error (exit 2) when malformed.
    """
    duration_s = parse_seconds(duration, "--duration", positive=True)
    warmup_s = parse_seconds(warmup, "--warmup", allow_auto=True)
    return (None if duration_s == "file" else duration_s), warmup_s  # type: ignore[return-value]


def with_run_length(overrides: list[str] | None, duration: str | None,
                    warmup: str | None) -> list[str]:
    """The ``--set`` overrides, then ``--duration`` and ``--warmup`` as overrides of the file.

    Applied before validation, the flags settle the file's warm-up check (a warm-up as long
    as the duration), and issues they cause name them (``--duration 0s``), not ``--set``.
    """
    from archsim.spec.overrides import FlagOverride

    out: list[str] = list(overrides or ())
    for flag, key, value in (("--duration", "duration", duration),
                             ("--warmup", "warmup", warmup)):
        if value is not None:
            quoted = value.replace("'", "''")
            out.append(FlagOverride(f"simulation.{key}='{quoted}'", f"{flag} {value}"))
    return out
