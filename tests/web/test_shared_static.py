"""The shared stylesheet is served from the origin, to a program and to a real browser."""
from __future__ import annotations


def test_shared_stylesheet_is_served_from_the_origin(client):
    response = client.get("/static/gridsnap.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"--gs-red" in response.data


def test_a_browser_applies_the_shared_stylesheet(desk_page, live_url):
    desk_page.set_content(f'<link rel="stylesheet" href="{live_url}/static/gridsnap.css">'
                          '<button class="gs-btn gs-btn--primary">上报</button>')
    desk_page.wait_for_load_state()
    colour = desk_page.eval_on_selector("button", "b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(200, 22, 29)"
