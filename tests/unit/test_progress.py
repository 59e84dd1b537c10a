"""Progress read from the metadata shapes in common use."""

from __future__ import annotations

from typing import Any

import pytest

from lro._core.progress import fraction

TYPE = {"@type": "type.googleapis.com/acme.Meta"}


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"progress": 0.25}, 0.25),
        ({"progress": 0}, 0.0),
        ({"progress": 1}, 1.0),
        ({"fraction": 0.5}, 0.5),
        ({"progressFraction": 0.75}, 0.75),
        ({"fraction_complete": 0.1}, 0.1),
        ({"progressPercent": 40}, 0.4),
        ({"progress_percent": 40}, 0.4),
        ({"progressPercentage": 12.5}, 0.125),
        ({"percentComplete": 100}, 1.0),
        ({"percent_done": 50}, 0.5),
        ({"percentage": 5}, 0.05),
        ({"percent": "30"}, 0.3),
        ({"progressPercent": "42.5%"}, 0.425),
        ({"progressPercent": " 42 "}, 0.42),
        ({"completedSteps": 3, "totalSteps": 4}, 0.75),
        ({"completed_steps": 1, "total_steps": 4}, 0.25),
        ({"stepsCompleted": 2, "stepsTotal": 8}, 0.25),
        ({"step": 2, "stepsTotal": 4}, 0.5),
        ({"step": 1, "totalSteps": 4}, 0.25),
        ({"currentStep": "3", "totalSteps": "6"}, 0.5),
        ({"completedWork": "50", "estimatedWork": "200"}, 0.25),
        ({"completed": 9, "total": 10}, 0.9),
        ({"processed": 1, "total": 2}, 0.5),
        ({"progress": {"progressPercent": 60}}, 0.6),
        ({"progressInfo": {"fraction": 0.2}}, 0.2),
        ({"operationProgress": {"percentComplete": 70}}, 0.7),
        ({"progressDocuments": {"completedWork": "1", "estimatedWork": "4"}}, 0.25),
        ({"genericMetadata": {"progress": 0.3}}, 0.3),
        ({"common_metadata": {"progress_percent": 80}}, 0.8),
        ({"metadata": {"progress": {"progressPercent": 10}}}, 0.1),
        # clamping
        ({"progress": 1.5}, 1.0),
        ({"progress": -0.5}, 0.0),
        ({"progressPercent": 250}, 1.0),
        ({"completedSteps": 5, "totalSteps": 4}, 1.0),
        # first match wins: the direct fields before nested ones
        ({"progress": {"progressPercent": 60}, "percent": 10}, 0.1),
        ({"progress": 0.5, "progressPercent": 10}, 0.5),
    ],
)
def test_shapes(metadata: dict[str, Any], expected: float) -> None:
    assert fraction({**TYPE, **metadata}) == pytest.approx(expected)


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        "50%",
        42,
        [0.5],
        {},
        TYPE,
        {"progress": None},
        {"progress": True},
        {"progress": "fast"},
        {"progress": float("nan")},
        {"progress": float("inf")},
        {"progress": 10**400},
        {"progressPercent": "1e2"},
        {"progressPercent": "x%"},
        {"completedSteps": 1, "totalSteps": 0},
        {"completedSteps": 1, "totalSteps": -4},
        {"completedSteps": 1},
        {"totalSteps": 4},
        {"progress": [0.5]},
        {"a": {"b": {"c": {"d": {"progress": 0.5}}}}},
        {"metadata": {"metadata": {"metadata": {"metadata": {"progress": 0.5}}}}},
        {"unrelated": 5},
    ],
)
def test_unknown_gives_none(metadata: Any) -> None:
    assert fraction(metadata) is None


def test_depth_limit_reaches_three_levels() -> None:
    deep = {"metadata": {"metadata": {"metadata": {"progress": 0.5}}}}
    assert fraction(deep) == 0.5
