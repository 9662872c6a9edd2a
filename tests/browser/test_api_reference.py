"""The API reference page (static/api/): it renders the served OpenAPI document in
Chromium, from this site only, with every operation, problem code and schema."""

from __future__ import annotations

from playwright.sync_api import Page, expect

OPERATIONS = ["sendMessage", "listMessages", "getMessage", "getBalance", "listSenders"]


def test_the_reference_renders_the_document(page: Page, live_server: str):
    page.goto("/static/api/index.html")
    expect(page.locator("#operations")).to_be_visible()
    expect(page.locator("#loading")).to_be_hidden()
    assert [s.get_attribute("id") for s in page.locator("section.operation").all()] == [
        f"op-{name}" for name in OPERATIONS]
    send = page.locator("#op-sendMessage")
    expect(send.locator("h3")).to_contain_text("POST /api/v1/messages")
    expect(send.locator("pre").first).to_contain_text('"from": "02-123-4567"')
    expect(send.get_by_role("cell", name="Idempotency-Key", exact=True)).to_be_visible()
    members = page.locator("#schema-MessageIn tbody tr td:first-child").all_inner_texts()
    assert members[:3] == ["from", "to", "text"]
    expect(page.locator("#problem-refused")).to_contain_text("refused")
    page.locator("#op-sendMessage a", has_text="MessageIn").click()
    assert page.url.endswith("#schema-MessageIn")


def test_a_problem_type_leads_to_its_description(page: Page, live_server: str):
    page.goto("/static/api/index.html#problem-idempotency_key_reused")
    target = page.locator("#problem-idempotency_key_reused")
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
