"""A model's operating point: how readily it answers (``reject_more`` / ``balanced`` / ``answer_more``, or an
explicit confidence threshold in (0, 1)). ``balanced`` uses the threshold each build calibrated."""

from __future__ import annotations

NAMED = ("reject_more", "balanced", "answer_more")
DEFAULT_OPERATING_POINT = "balanced"


def normalise_operating_point(value: str) -> str:
    """The stored form of ``value``; raises ValueError naming the accepted values."""
    text = value.strip().lower().replace("-", "_").replace(" ", "_")
    if text in NAMED:
        return text
    try:
        threshold = float(text)
    except ValueError:
        threshold = -1.0
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"use one of {', '.join(NAMED)} or a confidence threshold between 0 and 1")
    return f"{threshold:g}"


def threshold_for(operating_point: str | None, build_threshold: float) -> float:
    """The confidence threshold to answer with: ``reject_more`` halves the distance to 1, ``answer_more``
    halves the build's threshold, a number is used as is."""
    point = operating_point or DEFAULT_OPERATING_POINT
    if point == "balanced":
        return build_threshold
    if point == "reject_more":
        return 1.0 - (1.0 - build_threshold) / 2
    if point == "answer_more":
        return build_threshold / 2
    return float(point)
