"""/docs (Swagger UI) in Debian's Chromium: it renders with nothing fetched off the origin."""
from __future__ import annotations


def test_the_api_docs_render_from_the_origin(desk_page):
    desk_page.goto("/docs")
    desk_page.get_by_text("GridSnap API").first.wait_for()
    assert desk_page.locator(".opblock").count() > 20  # the operations are listed
