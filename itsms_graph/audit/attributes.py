"""Attribute sampling arithmetic (ISO 19011 A.6): zero-failure sample sizes, detection chances, deviation limits.

All of it is the hypergeometric rule, since an auditor samples records without replacement from a finite
population: a sample of n from N records of which D deviate contains none with probability C(N-D, n) / C(N, n).

>>> [zero_failure_size(n) for n in (10, 20, 25, 30, 50, 100, 200)]
[10, 16, 16, 19, 22, 25, 27]
>>> detection_chance(25, 1, 25)
1.0
"""

from __future__ import annotations

import math
from fractions import Fraction

CONFIDENCE = 0.95
TOLERABLE_RATE = 0.10


def none_drawn(population: int, deviating: int, n: int) -> Fraction:
    """The chance that a sample of *n* from *population* records, *deviating* of them deviating, holds none of
    them: C(N - D, n) / C(N, n) (0 when n > N - D), exactly: the rules compare it with 1 - confidence on the
    boundary, where a float would round either way."""
    if n > population - deviating:
        return Fraction(0)
    return Fraction(math.comb(population - deviating, n), math.comb(population, n))


def _exact(rate: float) -> Fraction:
    """A rate as the user wrote it (0.95 is 19/20, not the binary float nearest it)."""
    return Fraction(str(rate))


def zero_failure_size(population: int, confidence: float = CONFIDENCE, tolerable: float = TOLERABLE_RATE) -> int:
    """The smallest n such that, were ceil(tolerable * N) records deviating, a sample of n would hold none of them
    with probability at most 1 - confidence; the whole population when no smaller n does."""
    deviating = max(1, math.ceil(_exact(tolerable) * population))
    for n in range(1, population + 1):
        if none_drawn(population, deviating, n) <= 1 - _exact(confidence):
            return n
    return population


def detection_chance(population: int, failing: int, n: int) -> float:
    """The chance that a sample of *n* from *population* records contains at least one of *failing*:
    1 - C(N - F, n) / C(N, n), exactly 1 when n > N - F."""
    return float(1 - none_drawn(population, failing, min(n, population)))


def upper_deviation_limit(population: int, n: int, deviations: int, confidence: float = CONFIDENCE) -> float:
    """The upper deviation limit at *confidence* after finding *deviations* in a sample of *n*: the smallest rate
    D/N at which a sample holding at most that many deviations has probability at most 1 - confidence. A sample
    of the whole population knows the rate exactly.

    >>> upper_deviation_limit(100, 25, 0)  # 25 is the zero-failure size for 95 % / 10 %: the limit is 10 %
    0.1
    """
    if population <= 0:  # nothing to conclude about
        return 1.0
    if n >= population:
        return deviations / population
    for d in range(deviations + 1, population + 1):
        if _at_most(population, d, n, deviations) <= 1 - _exact(confidence):
            return d / population
    return 1.0


def _at_most(population: int, deviating: int, n: int, k: int) -> Fraction:
    """P(a sample of n holds at most k of the deviating records), exactly."""
    ways = sum(
        math.comb(deviating, i) * math.comb(population - deviating, n - i) for i in range(min(k, deviating, n) + 1)
    )
    return Fraction(ways, math.comb(population, n))
