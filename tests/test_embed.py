"""The form in another site's frame, as the server answers it: the settings, the framing
headers, the embedded pages and the data block static/js/embed.js reads
(tests/browser/test_embed.py drives it in Chromium)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

import config
from cafe24 import codes
from config import SettingsError
from simulator import DEMO_CREDITS, GatewayBackend
from smsform.services import gateway
from tests.support import ADMIN, build_app, make_user, page, send_calls, sign_in, valid_send

SHOP = "https://shop.example.com"
INTRANET = "http://127.0.0.1:8080"
ANCESTORS = f"{SHOP} {INTRANET}"


def settings(**env: str) -> config.Settings:
    """Settings parsed from ``env`` alone (with a database and a key: nothing on disk)."""
    return config.from_env({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", **env}, "/nowhere")


def directives(response) -> dict[str, str]:
    """The Content-Security-Policy, by directive."""
    policy = response.headers["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


def data_block(soup) -> dict:
    """The page's #smsform-embed JSON."""
    return json.loads(soup.select_one("script#smsform-embed[type='application/json']").string)


@pytest.fixture
def embed_app(backend: GatewayBackend) -> Flask:
    """An app that two other origins may frame; returnurl may lead to the shop."""
    return build_app(backend, SMSFORM_FRAME_ANCESTORS=ANCESTORS, SMSFORM_RETURN_HOSTS=SHOP)


@pytest.fixture
def embed_client(embed_app: Flask) -> FlaskClient:
    """An administrator's client of ``embed_app``."""
    return sign_in(embed_app)


# -- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "origins"), [
    ("", ()),
    ("https://shop.example.com", ("https://shop.example.com",)),
    ("  HTTPS://Shop.Example.com:443/  http://127.0.0.1:8080 ",
     ("https://shop.example.com", "http://127.0.0.1:8080")),
    ("http://intra.example.com:80 https://a.example.com:8443",
     ("http://intra.example.com", "https://a.example.com:8443")),
    ("https://shop.example.com https://shop.example.com:443", ("https://shop.example.com",)),
    ("http://[::1]:5000", ("http://[::1]:5000",)),
    ("http://[2001:DB8::1] http://[1:0:0:1::1] http://[::ffff:7f00:1]",
     ("http://[2001:db8::1]", "http://[1:0:0:1::1]", "http://[::ffff:7f00:1]")),
    ("http://0.0.0.0:8080 http://255.255.255.255 https://1.example.com",
     ("http://0.0.0.0:8080", "http://255.255.255.255", "https://1.example.com")),
])
def test_frame_ancestors_are_origins_as_browsers_write_them(raw, origins):
    assert settings(SMSFORM_FRAME_ANCESTORS=raw).frame_ancestors == origins


@pytest.mark.parametrize("raw", [
    "*", "https://*.example.com", "shop.example.com", "ftp://shop.example.com",
    "https://shop.example.com/sms", "https://shop.example.com?x=1", "https://shop.example.com#x",
    "https://user@shop.example.com", "https://shop.example.com:0", "https://shop.example.com:99999",
    "https://shop.example.com,https://b.example.com", "'self'", "https://shop_example.com",
    "https://shop.example.com https://",
])
def test_a_bad_frame_ancestor_names_the_variable(raw):
    with pytest.raises(SettingsError) as raised:
        settings(SMSFORM_FRAME_ANCESTORS=raw)
    assert raised.value.variable == "SMSFORM_FRAME_ANCESTORS"


@pytest.mark.parametrize("host", [
    "[0:0::1]", "[0::1]", "[0000::1]", "[2001:0db8::1]", "[1:0:0:1:0:0:0:1]", "[1::2:3:4:5:6:7]",
    "[::ffff:127.0.0.1]", "[fe80::1%25eth0]", "[::1::]", "[]",
    "0x7f.1", "0x7f000001", "2130706433", "127.1", "256.1.1.1", "01.2.3.4", "1.2.3.4.5",
    "example.123", "shop.example.com.", "127.0.0.1.", "[::1]x",
])
def test_a_frame_ancestor_host_a_browser_never_writes_is_refused(host):
    """A browser writes an origin's host in one form only (the WHATWG URL serialization):
    any other spelling would never match the origin a framed page's parent has."""
    raw = f"https://{host}"
    with pytest.raises(SettingsError) as raised:
        settings(SMSFORM_FRAME_ANCESTORS=raw)
    assert raised.value.variable == "SMSFORM_FRAME_ANCESTORS"


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "Lax"), ({"SESSION_COOKIE_SAMESITE": "strict"}, "Strict"),
    ({"SESSION_COOKIE_SAMESITE": "Lax"}, "Lax"),
    ({"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": "1"}, "None"),
])
def test_session_cookie_samesite(env, expected):
    parsed = settings(**env)
    assert parsed.session_cookie_samesite == expected
    flask_config = parsed.flask_config()
    assert flask_config["SESSION_COOKIE_SAMESITE"] == flask_config["REMEMBER_COOKIE_SAMESITE"] \
        == expected


@pytest.mark.parametrize("env", [
    {"SESSION_COOKIE_SAMESITE": "None"},  # a SameSite=None cookie must be Secure
    {"SESSION_COOKIE_SAMESITE": "none", "SESSION_COOKIE_SECURE": "0"},
    {"SESSION_COOKIE_SAMESITE": "relaxed"},
])
def test_a_bad_samesite_names_the_variable(env):
    with pytest.raises(SettingsError) as raised:
        settings(**env)
    assert raised.value.variable == "SESSION_COOKIE_SAMESITE"


def test_samesite_none_reaches_the_session_cookie(backend):
    app = build_app(backend, SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE="1")
    make_user(app, *ADMIN, role="admin")
    response = app.test_client().post("/login", data={"username": ADMIN[0],
                                                      "password": ADMIN[1]})
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie


def test_the_session_cookie_stays_lax_by_default(admin_client):
    response = admin_client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


# -- framing headers -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/smsform", "/smsform?embed=1", "/login", "/dashboard"])
def test_by_default_only_this_site_frames_its_pages(admin_client, path):
    response = admin_client.get(path)
    assert directives(response)["frame-ancestors"] == "'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("path", ["/smsform", "/smsform?embed=1", "/login", "/account"])
def test_configured_origins_may_frame_and_x_frame_options_does_not_contradict(embed_client,
                                                                            path):
    response = embed_client.get(path)
    assert directives(response)["frame-ancestors"] == f"'self' {SHOP} {INTRANET}"
    assert "X-Frame-Options" not in response.headers
    assert directives(response)["default-src"] == "'self'"  # the rest of the policy stays


@pytest.mark.parametrize("path", ["/dashboard", "/admin/users", "/admin/relays",
                                  "/account/tokens", "/sends", "/audit", "/gateway",
                                  "/nowhere"])
def test_pages_outside_the_embedded_form_are_framed_by_this_site_only(embed_client, path):
    """A page that shows a new key once, or the log, is never framed by another site, even
    an allowed one (an http:// origin, or one taken over, could click-jack it)."""
    response = embed_client.get(path)
    assert directives(response)["frame-ancestors"] == "'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_frame_ancestors_do_not_widen_form_action():
    response = sign_in(build_app(None, SMSFORM_FRAME_ANCESTORS=INTRANET)).get("/smsform")
    assert directives(response)["form-action"] == "'self'"


# -- the embedded form ---------------------------------------------------------------


def test_the_embedded_form_has_no_navigation_and_keeps_its_tokens():
    client = sign_in(build_app(None, SMSFORM_FRAME_ANCESTORS=ANCESTORS,
                               WTF_CSRF_ENABLED=True))
    soup = page(client.get("/smsform?embed=1"))
    assert soup.select_one("body.embed") is not None
    assert soup.select("header, nav, .banner, a.skip") == []
    form = soup.select_one("form#smsForm")
    assert form.select_one("input[name=embed]")["value"] == "1"
    assert form.select_one("input[name=csrf_token]")["value"]
    assert form.select_one("input[name=send_token]")["value"]
    assert data_block(soup) == {"allowed": [SHOP, INTRANET], "sent": None, "continue": None}
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert scripts == ["/static/js/embed.js", "/static/js/main.js"]
    assert soup.select("script:not([src])") == soup.select("script[type='application/json']")


def test_the_embedded_form_keeps_the_simulation_warning(embed_client):
    soup = page(embed_client.get("/smsform?embed=1"))
    assert soup.select_one(".embed-sim#simulation-banner") is not None


def test_the_full_page_has_no_embed_bits(embed_client):
    soup = page(embed_client.get("/smsform"))
    assert soup.select_one("header.top nav") is not None
    assert soup.select_one("input[name=embed]") is None
    assert soup.select_one("#smsform-embed") is None
    assert soup.select_one("script[src='/static/js/embed.js']") is None


@pytest.mark.parametrize("value", ["0", "yes", ""])
def test_only_embed_1_embeds(embed_client, value):
    soup = page(embed_client.get(f"/smsform?embed={value}"))
    assert soup.select_one("header.top") is not None


# -- after a send ----------------------------------------------------------------------


def test_an_embedded_send_tells_the_parent_what_happened(embed_client, backend):
    response = embed_client.post("/smssend", data=valid_send(embed="1", rphone="010-2222-3333,"
                                                             "010-4444-5555"))
    assert response.status_code == 200
    soup = page(response)
    assert soup.select("header, nav") == []
    block = data_block(soup)
    assert block["allowed"] == [SHOP, INTRANET] and block["continue"] is None
    sent = block["sent"]
    assert sent == {"type": "smsform:sent", "result": "success", "accepted": True,
                    "code": "success", "kind": "sms", "recipients": 2, "cost": 2,
                    "forecast": 2, "remaining": DEMO_CREDITS - 2, "id": sent["id"]}
    assert soup.select_one("#log-link")["href"] == f"/sends/{sent['id']}"
    assert len(send_calls(backend)) == 1


def test_an_embedded_test_send_costs_nothing(embed_client):
    sent = data_block(page(embed_client.post("/smssend", data=valid_send(
        embed="1", testflag="Y", smsType="L", subject="s"))))["sent"]
    assert (sent["result"], sent["code"], sent["kind"], sent["cost"]) == ("test", "test",
                                                                         "lms", 0)


def test_an_embedded_refusal_is_told_too(embed_client, no_credit_account):
    response = embed_client.post("/smssend", data=valid_send(embed="1", nointeractive="1"))
    assert response.status_code == 422
    block = data_block(page(response))
    assert (block["sent"]["result"], block["sent"]["accepted"], block["sent"]["cost"]) == (
        "refused", False, 0)
    assert block["continue"] is None  # nointeractive goes on only after a success


def test_an_embedded_send_over_the_credit_is_told_as_not_sent(embed_app, embed_client,
                                                               backend):
    backend.accounts["demo"].credits = 0
    with embed_app.app_context():
        gateway.gateway().remaining()  # 0 credits known
    response = embed_client.post("/smssend", data=valid_send(embed="1"))
    assert response.status_code == 422
    sent = data_block(page(response))["sent"]
    assert (sent["result"], sent["code"], sent["accepted"], sent["cost"], sent["forecast"]) == (
        "not_sent", "credit_short", False, 0, 1)
    assert send_calls(backend) == []


def test_the_result_page_stays_in_the_frame(embed_client):
    soup = page(embed_client.post("/smssend", data=valid_send(embed="1", returnurl="/done")))
    assert soup.select_one("#write-another")["href"] == "/smsform?embed=1"
    assert soup.select_one("#return-link")["href"] == "/done"
    # Pages made for the full window open in one, not in the shop's frame.
    assert soup.select_one("#log-link")["target"] == "_blank"
    assert "noopener" in soup.select_one("#log-link")["rel"]


def test_the_full_result_page_is_unchanged(embed_client):
    soup = page(embed_client.post("/smssend", data=valid_send()))
    assert soup.select_one("#write-another")["href"] == "/smsform"
    assert not soup.select_one("#log-link").has_attr("target")
    assert soup.select_one("#smsform-embed") is None


def test_invalid_input_in_the_frame_stays_embedded(embed_client, backend):
    response = embed_client.post("/smssend", data=valid_send(embed="1", msg=""))
    assert response.status_code == 400
    soup = page(response)
    assert soup.select("header, nav") == []
    assert soup.select_one("form#smsForm input[name=embed]")["value"] == "1"
    assert data_block(soup)["sent"] is None
    assert send_calls(backend) == []


def test_a_repeated_form_in_the_frame_stays_embedded(embed_client):
    token = page(embed_client.get("/smsform?embed=1")).select_one(
        "input[name=send_token]")["value"]
    form = valid_send(embed="1", send_token=token)
    embed_client.post("/smssend", data=form)
    response = embed_client.post("/smssend", data=form)
    assert response.status_code == 409
    soup = page(response)
    assert soup.select_one("#send-repeated") is not None
    assert soup.select("header, nav") == []


def test_an_expired_form_in_the_frame_comes_back_embedded(backend):
    client = sign_in(build_app(backend, SMSFORM_FRAME_ANCESTORS=SHOP, WTF_CSRF_ENABLED=True))
    response = client.post("/smssend", data=valid_send(embed="1", csrf_token="stale"))
    assert response.status_code == 400
    soup = page(response)
    assert soup.select_one("form#smsForm input[name=embed]")["value"] == "1"
    assert soup.select("header, nav") == []
    assert send_calls(backend) == []


# -- nointeractive and returnurl in a frame ----------------------------------------------


def test_nointeractive_in_a_frame_tells_the_parent_then_goes_to_a_new_form(embed_client):
    response = embed_client.post("/smssend", data=valid_send(embed="1", nointeractive="1"))
    assert response.status_code == 200  # not a redirect: the page must tell the parent first
    soup = page(response)
    block = data_block(soup)
    assert (block["sent"]["result"], block["continue"]) == ("success", "/smsform?embed=1")
    assert soup.select(".flash") == []  # the result waits for the form ...
    flash = page(embed_client.get(block["continue"])).select_one(".flash.success")
    assert flash.get_text(strip=True) == codes.describe_send("success").ko  # ... and is there


@pytest.mark.parametrize("target", ["/done", f"{SHOP}/thanks"])
def test_nointeractive_in_a_frame_goes_on_to_returnurl(embed_client, target):
    response = embed_client.post("/smssend", data=valid_send(
        embed="1", nointeractive="1", returnurl=target))
    block = data_block(page(response))
    assert (block["sent"]["result"], block["continue"]) == ("success", target)
    assert page(embed_client.get("/smsform?embed=1")).select(".flash") == []


def test_nointeractive_in_a_frame_never_goes_to_a_foreign_returnurl(embed_client):
    response = embed_client.post("/smssend", data=valid_send(
        embed="1", nointeractive="1", returnurl="https://evil.example/"))
    assert data_block(page(response))["continue"] == "/smsform?embed=1"


def test_nointeractive_outside_a_frame_still_redirects(embed_client):
    response = embed_client.post("/smssend", data=valid_send(nointeractive="1"))
    assert (response.status_code, response.headers["Location"]) == (303, "/smsform")


def test_the_prefilled_embedded_form_carries_returnurl_and_nointeractive(embed_client):
    soup = page(embed_client.get("/smsform?embed=1&nointeractive=1&returnurl=/done"))
    form = soup.select_one("form#smsForm")
    values = {name: form.select_one(f"input[name={name}]")["value"]
              for name in ("embed", "nointeractive", "returnurl")}
    assert values == {"embed": "1", "nointeractive": "1", "returnurl": "/done"}


# -- signing in inside the frame -----------------------------------------------------------


def test_signing_in_inside_the_frame_keeps_embed(embed_app):
    make_user(embed_app, *ADMIN, role="admin")
    client = embed_app.test_client()
    response = client.get("/smsform?embed=1")
    assert response.status_code == 302
    login = response.headers["Location"]
    soup = page(client.get(login))
    assert soup.select("header, nav") == []
    assert soup.select_one("#username") is not None
    assert data_block(soup)["allowed"] == [SHOP, INTRANET]
    response = client.post(login, data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.headers["Location"] == "/smsform?embed=1"
    assert page(client.get("/smsform?embed=1")).select_one("input[name=embed]") is not None


def test_the_sign_in_page_alone_is_the_full_page(embed_app):
    make_user(embed_app, *ADMIN, role="admin")
    soup = page(embed_app.test_client().get("/login?next=/smsform"))
    assert soup.select_one("header.top") is not None
    assert soup.select_one("#smsform-embed") is None
