"""The app shell: page, manifest and service worker are served; the shell opens offline; the API is
never answered from a cache; what a first and a repeat visit cost."""
from __future__ import annotations

import json

from tests.phone.conftest import log_in


def test_page_manifest_and_service_worker_are_served(client):
    page = client.get("/app/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and 'rel="manifest" href="/app/manifest.webmanifest"' in html
    assert client.get("/app?invite=MCY2026A").headers["Location"] == "/app/?invite=MCY2026A"

    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.data)
    assert data["start_url"] == "/app/" and data["scope"] == "/app/" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} >= {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).mimetype == "image/png"

    worker = client.get("/app/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    source = worker.get_data(as_text=True)
    assert "__VERSION__" not in source and "__SHELL__" not in source
    shell = json.loads(source.split("const SHELL = ")[1].split(";\n")[0])
    assert "/app/" in shell and "/app/static/js/queue.js" in shell and "/static/gridsnap.css" in shell
    assert not [url for url in shell if url.startswith("/api/")]
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert client.get("/app/sw.js", headers={"If-None-Match": worker.headers["ETag"]}).status_code == 304


def transferred(context) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Bytes that come over the network from here on (headers + body): the shell files the page
    loads, the service worker's own copies of them (a real browser revalidates these from its HTTP
    cache; Playwright's request routing turns that cache off) and the API. Answers a service worker
    gives from its cache are not counted."""
    sizes = {"shell": 0, "precache": 0, "api": 0}

    def count(request) -> None:  # type: ignore[no-untyped-def]
        response = request.response()
        if response is None or response.from_service_worker:
            return
        measured = request.sizes()
        kind = "api" if "/api/" in request.url else "precache" if request.service_worker else "shell"
        sizes[kind] += measured["responseBodySize"] + measured["responseHeadersSize"]

    context.on("requestfinished", count)
    return sizes


def test_the_shell_opens_offline_and_a_repeat_visit_fetches_almost_nothing(phone, phone_context, world):
    first = transferred(phone_context)
    log_in(phone, world["rider"])
    phone.wait_for_function("navigator.serviceWorker.controller !== null")
    phone.wait_for_load_state("networkidle")
    cached = phone.evaluate("""async () => {
      const urls = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    }""")
    assert "/app/static/js/main.js" in cached and not [url for url in cached if url.startswith("/api/")]

    repeat = transferred(phone_context)
    first_total = dict(first)
    phone.reload()
    phone.locator("#tabs a").first.wait_for()
    phone.wait_for_load_state("networkidle")
    print(f"\nfirst visit: {first_total}; repeat visit: {repeat}")
    assert repeat["shell"] == repeat["precache"] == 0 < first_total["shell"]  # the shell came from the cache

    phone_context.set_offline(True)
    phone.reload()
    phone.get_by_role("button", name="上报").wait_for()  # the shell, the session and the categories
    assert phone.locator("#net").is_visible()  # and it says it is offline

    phone.set_viewport_size({"width": 360, "height": 640})  # the smallest phone we serve
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.get_by_role("link", name="我的").bounding_box()["height"] >= 48  # a thumb-sized tab
