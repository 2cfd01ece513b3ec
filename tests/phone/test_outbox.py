"""The offline outbox module (static/js/queue.js), run in Chromium against real IndexedDB."""
from __future__ import annotations

import pytest

from tests.support.browser import PHONE, browser_context

BLANK = "/__outbox-test__"


@pytest.fixture
def module_page(browser, live_url):  # type: ignore[no-untyped-def]
    """A blank page on the app's origin with the outbox module loaded as `window.q`."""
    with browser_context(browser, live_url, **PHONE) as context:
        context.route(f"**{BLANK}", lambda route: route.fulfill(content_type="text/html", body="<!doctype html>"))
        page = context.new_page()
        load(page)
        yield page


def load(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(BLANK)
    page.evaluate("async () => { window.q = await import('/app/static/js/queue.js');"
                  " window.box = await q.openOutbox('outbox-test'); }")


ADD_TWO = """async () => {
  await box.add({owner: 1, fields: {category: 'a'}, photos: [{blob: new Blob(['x'.repeat(1000)]), name: 'a.jpg'}]});
  await box.add({owner: 1, fields: {category: 'b'}, photos: []});
  await box.add({owner: 2, fields: {category: 'other rider'}, photos: []});
}"""


def test_entries_survive_a_reload_with_their_key_and_photos(module_page):
    module_page.evaluate(ADD_TWO)
    load(module_page)
    entries = module_page.evaluate("""async () => (await box.list(1)).map(e => (
        {key: e.key, state: e.state, category: e.fields.category, sizes: e.photos.map(p => p.blob.size)}))""")
    assert [e["category"] for e in entries] == ["a", "b"]  # oldest first, only this rider's
    assert [e["sizes"] for e in entries] == [[1000], []]
    assert all(e["state"] == "waiting" and len(e["key"]) >= 32 for e in entries)
    assert len({e["key"] for e in entries}) == 2


def test_flush_sends_each_entry_once_even_when_called_again_meanwhile(module_page):
    module_page.evaluate(ADD_TWO)
    sent = module_page.evaluate("""async () => {
      const calls = [];
      const send = async (entry) => { calls.push(entry.key); await new Promise(r => setTimeout(r, 50));
                                      return {outcome: 'sent', result: {id: calls.length}}; };
      await Promise.all([box.flush(send, {owner: 1}), box.flush(send, {owner: 1}), box.flush(send, {owner: 1})]);
      return {calls, left: (await box.list()).map(e => e.owner), answers: [...box.sent.values()]};
    }""")
    assert len(sent["calls"]) == 2 and len(set(sent["calls"])) == 2
    assert sent["left"] == [2]  # the other rider's entry is not sent under this login
    assert sent["answers"] == [{"id": 1}, {"id": 2}]


def test_a_retry_keeps_the_entry_and_its_key_and_stops_the_round(module_page):
    module_page.evaluate(ADD_TWO)
    result = module_page.evaluate("""async () => {
      const keys = (await box.list(1)).map(e => e.key);
      const tried = [];
      const down = async (entry) => { tried.push(entry.key); throw new TypeError('Failed to fetch'); };
      const first = await box.flush(down, {owner: 1});
      const later = [];
      await box.flush(async (entry) => { later.push(entry.key); return {outcome: 'sent'}; }, {owner: 1});
      return {keys, tried, first, later, left: (await box.list(1)).length};
    }""")
    assert result["tried"] == result["keys"][:1]  # the network is down: the round stops
    assert result["first"]["waiting"] == 2
    assert result["later"] == result["keys"]  # sent later with the keys made at capture
    assert result["left"] == 0


def test_a_refused_entry_is_kept_as_failed_with_the_reason_and_the_round_goes_on(module_page):
    module_page.evaluate(ADD_TWO)
    result = module_page.evaluate("""async () => {
      const refuse = async (entry) => entry.fields.category === 'a'
        ? {outcome: 'failed', error: '照片格式不支持'} : {outcome: 'sent'};
      const report = await box.flush(refuse, {owner: 1});
      const again = await box.flush(async () => ({outcome: 'sent'}), {owner: 1});
      return {report, again, left: (await box.list(1)).map(e => [e.fields.category, e.state, e.error])};
    }""")
    assert result["report"]["failed"] == 1 and len(result["report"]["sent"]) == 1
    assert result["again"]["sent"] == []  # a failed entry is not sent again by itself
    assert result["left"] == [["a", "failed", "照片格式不支持"]]
