"""The API reference page (static/api/): it renders the served OpenAPI document in
Chromium, from this site only, with every operation, problem code and schema."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

#: The first operations, in the document's order (the rest follow as the API grows).
OPERATIONS = ["sendMessage", "listMessages", "getMessage", "getBalance", "listSenders"]


def test_the_reference_renders_the_document(page: Page, live_server: str):
    document = page.request.get(f"{live_server}/api/v1/openapi.json").json()
    every = [operation["operationId"] for path in document["paths"].values()
             for operation in path.values()]
    assert every[:len(OPERATIONS)] == OPERATIONS
    page.goto("/static/api/index.html")
    expect(page.locator("#operations")).to_be_visible()
    expect(page.locator("#loading")).to_be_hidden()
    assert [s.get_attribute("id") for s in page.locator("section.operation").all()] == [
        f"op-{name}" for name in every]  # every operation the app serves, in its order
    send = page.locator("#op-sendMessage")
    expect(send.locator("h3")).to_contain_text("POST /api/v1/messages")
    expect(send.locator("pre").first).to_contain_text('"from": "02-123-4567"')
    expect(send.get_by_role("cell", name="Idempotency-Key", exact=True)).to_be_visible()
    members = page.locator("#schema-MessageIn tbody tr td:first-child").all_inner_texts()
    assert members[:2] == ["from", "to"] and "text" in members
    expect(page.locator("#problem-refused")).to_contain_text("refused")
    page.locator("#op-sendMessage a", has_text="MessageIn").click()
    assert page.url.endswith("#schema-MessageIn")


def test_a_problem_type_leads_to_its_description(page: Page, live_server: str):
    page.goto("/static/api/index.html#problem-idempotency_key_reused")
    target = page.locator("#problem-idempotency_key_reused")
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()


#: Each word of the reference's table headings, cells and problem descriptions that a line break
#: splits inside although it would fit on a line of its own (a word longer than its box may
#: break; a line may end after a hyphen, a slash or a bar).
_SPLIT_WORDS = """() => {
  const split = [];
  for (const box of document.querySelectorAll(
      ".api-reference th, .api-reference td, .api-reference dd")) {
    // The content box: clientWidth counts the padding, where no text goes.
    const style = getComputedStyle(box);
    const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const tops = new Set(rects.map((r) => Math.round(r.top)));
        const length = rects.reduce((sum, r) => sum + r.width, 0);
        // A regular expression's source (it holds a backslash) is no word: it breaks where
        // the browser's line breaking finds brackets.
        if (tops.size < 2 || length >= width || match[0].includes("\\\\")) continue;
        // Where the line breaks: after a hyphen, a slash or a bar (a pattern's "|", which
        // Unicode's line breaking also breaks after) is a break between parts.
        const first = Math.round(rects[0].top);
        for (let i = 1; i < match[0].length; i += 1) {
          const glyph = document.createRange();
          glyph.setStart(node, match.index + i);
          glyph.setEnd(node, match.index + i + 1);
          const rect = [...glyph.getClientRects()].find((r) => r.width > 0);
          if (rect && Math.round(rect.top) !== first) {
            if (!"-/|".includes(match[0][i - 1])) split.push(match[0]);
            break;
          }
        }
      }
    }
  }
  return split;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_word_is_broken_inside_that_fits_on_a_line(browser, live_server: str, width: int):
    context = browser.new_context(base_url=live_server, locale="ko-KR",
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto("/static/api/index.html")
        expect(page.locator("#schemas")).to_be_visible()
        split = page.evaluate(_SPLIT_WORDS)
        assert split == [], f"split inside: {split}"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page is {wide} px wide at {width} px"
    finally:
        context.close()
