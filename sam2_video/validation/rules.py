"""Value rules for config keys: each says what it expects and whether a value meets it.

A rule is a small object with ``expect`` (words for the error line) and ``ok(value)``. Integers
refuse booleans and floats (``trainer.max_epochs=2.5``), numbers refuse strings (``optim.lr=abc``),
``null`` passes only where the rule allows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(float(v))


def _range_words(lo: Optional[float], hi: Optional[float], lo_open: bool, hi_open: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    return " and ".join(parts)


@dataclass(frozen=True)
class Rule:
    """Base rule: ``null`` allowed or not."""

    null: bool = False

    @property
    def expect(self) -> str:
        return self._expect() + (" or null" if self.null else "")

    def ok(self, value: Any) -> bool:
        return (self.null and value is None) or (value is not None and self._ok(value))

    def _expect(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ok(self, value: Any) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class Num(Rule):
    """A finite number (``integer=True``: a whole number) in a range."""

    lo: Optional[float] = None
    hi: Optional[float] = None
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def _expect(self) -> str:
        words = _range_words(self.lo, self.hi, self.lo_open, self.hi_open)
        return ("an integer" if self.integer else "a number") + (f" {words}" if words else "")

    def _ok(self, v: Any) -> bool:
        if not (_is_int(v) if self.integer else _is_number(v)):
            return False
        v = float(v)
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))


def Int(lo: Optional[float] = None, hi: Optional[float] = None, null: bool = False) -> Num:
    return Num(null=null, lo=lo, hi=hi, integer=True)


def Float(lo: Optional[float] = None, hi: Optional[float] = None, *, lo_open: bool = False,
          hi_open: bool = False, null: bool = False) -> Num:
    return Num(null=null, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)


PROB = Float(0.0, 1.0)


@dataclass(frozen=True)
class Bool(Rule):
    def _expect(self) -> str:
        return "true or false"

    def _ok(self, v: Any) -> bool:
        return isinstance(v, bool)


@dataclass(frozen=True)
class Text(Rule):
    def _expect(self) -> str:
        return "a non-empty string"

    def _ok(self, v: Any) -> bool:
        return isinstance(v, str) and bool(v.strip())


@dataclass(frozen=True)
class OneOf(Rule):
    values: tuple = ()

    def _expect(self) -> str:
        return "one of " + ", ".join(dict.fromkeys(str(v) for v in self.values))

    def _ok(self, v: Any) -> bool:
        return any(v == x and type(v) is type(x) for x in self.values)


def Choice(*values: Any, null: bool = False) -> OneOf:
    return OneOf(null=null, values=tuple(values))


@dataclass(frozen=True)
class AnyOf(Rule):
    """Any of several rules (e.g. an integer >= 1 or ``auto``)."""

    rules: tuple = ()

    def _expect(self) -> str:
        return " or ".join(r.expect for r in self.rules)

    def _ok(self, v: Any) -> bool:
        return any(r.ok(v) for r in self.rules)


def Either(*rules: Rule, null: bool = False) -> AnyOf:
    return AnyOf(null=null, rules=tuple(rules))


@dataclass(frozen=True)
class Seq(Rule):
    """A list whose items meet ``item`` (``length``: exactly that many; ``min_len``: at least)."""

    item: Optional[Rule] = None
    length: Optional[int] = None
    min_len: int = 0

    def _expect(self) -> str:
        n = f"{self.length} " if self.length else ""
        return f"a list of {n}items, each {self.item.expect}" if self.item else "a list"

    def _ok(self, v: Any) -> bool:
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
            return False
        if (self.length is not None and len(v) != self.length) or len(v) < self.min_len:
            return False
        return self.item is None or all(self.item.ok(x) for x in v)


@dataclass(frozen=True)
class Ordered(Seq):
    """A pair ``[low, high]`` with ``low <= high``."""

    def _expect(self) -> str:
        return f"[low, high] with low <= high, each {self.item.expect}"

    def _ok(self, v: Any) -> bool:
        return super()._ok(v) and float(v[0]) <= float(v[1])


def Pair(item: Rule, null: bool = False) -> Ordered:
    return Ordered(null=null, item=item, length=2)
