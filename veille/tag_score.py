"""How much a group's hits count: pure arithmetic on what the matcher found.

A hit in the title weighs ``title_weight`` (3) times its term weight, a hit in the body once
(+50 % per repeat, two repeats at most, for full terms only); a specialty or a type needs a
threshold (2.0). So a title mention tags, a single incidental mention in a long body does not,
and two different terms in the body do.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_WEAK_WEIGHT = 0.5


def python_group_score(
    evidence: dict[str, list[float]], title_weight: float
) -> tuple[float, bool]:
    """Score and whether a term is in the title; 0 when only one weak term fired (a weak
    term needs support from a different term, wherever it is and however often)."""
    if len(evidence) == 1:  # most groups: one term, scored in one step
        for weight, title, body in evidence.values():
            if weight <= DEFAULT_WEAK_WEIGHT:
                return 0.0, False
            score = weight * title_weight if title else 0.0
            if body:
                if body > 1.0 and weight >= 1.0:
                    score += weight * (1.0 + 0.5 * min(body - 1.0, 2.0))
                else:
                    score += weight
            return score, title > 0.0
    score, in_title = 0.0, False
    for weight, title, body in evidence.values():
        if title:
            score += weight * title_weight
            in_title = True
        if body:
            # Repeats add up for full terms only: "PR ... (PR)" is still one weak hint.
            if body > 1.0 and weight >= 1.0:
                score += weight * (1.0 + 0.5 * min(body - 1.0, 2.0))
            else:
                score += weight
    return score, in_title


group_score: Callable[[dict[str, list[float]], float], tuple[float, bool]] = python_group_score
try:  # the same, compiled (veille/_tag_scan.pyx)
    from veille._tag_scan import group_score as _compiled_score

    group_score = _compiled_score
except ImportError:  # not built: the Python function above
    pass
