"""Outlier checks of one figure against the unit's own history (pure, exact).

z-score: |x - mean| / standard deviation; modified z-score (Iglewicz and Hoaglin):
0.6745 x |x - median| / MAD, where MAD is the median absolute deviation; percent
change against a reference value; a fixed range. Each returns None when it cannot be
computed (too little history, a zero spread or a zero reference).
"""

from __future__ import annotations

import statistics
from decimal import Decimal

MODIFIED_Z_FACTOR = Decimal("0.6745")


def z_score(value: Decimal, history: list[Decimal]) -> Decimal | None:
    if len(history) < 3:
        return None
    mean = sum(history, Decimal(0)) / len(history)
    variance = sum(((item - mean) ** 2 for item in history), Decimal(0)) / (
        len(history) - 1
    )
    if variance == 0:
        return None
    return abs(value - mean) / variance.sqrt()


def modified_z_score(value: Decimal, history: list[Decimal]) -> Decimal | None:
    if len(history) < 3:
        return None
    median = statistics.median(history)
    mad = statistics.median([abs(item - median) for item in history])
    if mad == 0:
        return None
    return MODIFIED_Z_FACTOR * abs(value - median) / mad


def percent_change(value: Decimal, reference: Decimal | None) -> Decimal | None:
    if reference is None or reference == 0:
        return None
    return (value - reference) / abs(reference) * 100
