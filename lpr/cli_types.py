"""argparse value types shared by every `lpr` command: bounded numbers, width ranges, country lists."""
from __future__ import annotations

import argparse
import ast
from collections.abc import Callable, Iterable


def bounded(kind: type, low: float | None = None, high: float | None = None, *,
            low_open: bool = False, high_open: bool = False) -> Callable[[str], float | int]:
    """A parser for ``kind`` (int or float) within [low, high]; ``*_open`` excludes an end."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a{'n' if kind is int else ''} {kind.__name__}: {text!r}") from None
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            left = "(" if low_open else "["
            right = ")" if high_open else "]"
            span = (f"{left}{low}, {high}{right}" if low is not None and high is not None
                    else f"{'>' if low_open else '>='} {low}" if low is not None
                    else f"{'<' if high_open else '<='} {high}")
            raise argparse.ArgumentTypeError(f"must be {'in ' if low is not None and high is not None else ''}"
                                             f"{span}, got {value}")
        return value
    return parse


def width_range(text: str) -> tuple[float, float]:
    """``MIN,MAX`` pixel widths, 8 <= MIN <= MAX."""
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX in px, got {text!r}") from None
    if not 8.0 <= low <= high:
        raise argparse.ArgumentTypeError(f"need 8 <= MIN <= MAX, got {text!r}")
    return low, high


share = bounded(float, 0.0, 1.0)                        # a probability or share, [0, 1]
fraction = bounded(float, 0.0, 1.0, high_open=True)     # a split share, [0, 1)


def country_list(known: Callable[[], Iterable[str]], what: str = "country") -> Callable[[str], tuple[str, ...]]:
    """A parser for a comma-separated list of the codes ``known()`` returns (lower-cased,
    duplicates dropped, order kept)."""
    def parse(text: str) -> tuple[str, ...]:
        choices = tuple(known())
        tokens = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
        unknown = [t for t in tokens if t not in choices]
        if not tokens or unknown:
            raise argparse.ArgumentTypeError((f"unknown {what} {', '.join(unknown)}; " if unknown else "")
                                             + f"choose from {','.join(choices)}")
        return tokens
    return parse


def keyword_value(text: str) -> tuple[str, object]:
    """``NAME=VALUE``, a keyword for a call (a script's ``--option`` for lpr.Reader): the value
    read as a Python literal where it parses (``alternatives=False``, ``countries="['us','br']"``),
    else kept as text."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"want NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value
