"""Fixtures of the geo tests: the demo map loaded, and its well-known codes."""

from __future__ import annotations

import pytest

from app.geo import service

DISTRICT = "640106"
STREET = "640106001"
MANCHUN = "640106001001"  # 满春园社区
LIZI = "640106001002"  # 丽子园社区, the neighbour
FUXING = "640324100001"  # 富兴社区, Tongxin
GRID = MANCHUN + "01"
MICRO = GRID + "01"
OTHER_GRID = LIZI + "01"


@pytest.fixture
def demo_map(app):
    with app.app_context():
        return service.load_demo_map()
