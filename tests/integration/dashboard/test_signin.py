"""Sign-in, the session cookie, CSRF, roles, lock-out, audit, sign-out, language."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from thermowatch.store.audit import entries
from thermowatch.store.users import users, web_sessions

from .conftest import PASSWORD, csrf_of, sign_in

PAGES = ["/", "/alerts", "/models", "/transformers/TR-0001", "/transformers/TR-0001/series",
         "/transformers/TR-0001/panels.json", "/transformers/TR-0001/whatif", "/events"]  # fmt: skip


def test_no_page_without_a_session(client):
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next="), path
    r = client.post("/alerts/1/acknowledge", data={"csrf": "x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_sign_in_sets_a_strict_httponly_cookie_and_stores_only_a_hash(client, engine):
    r = sign_in(client, "operator")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tw_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the TLS test below
    token = cookie.split(";")[0].split("=", 1)[1]
    with engine.connect() as conn:
        stored = conn.execute(select(web_sessions.c.token_sha256)).scalars().all()
        hashed = conn.execute(select(users.c.password_hash).where(users.c.name == "operator"))
        assert hashed.scalar_one().startswith("$argon2id$")
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    assert client.get("/").status_code == 200


def _cookie_behind_proxy(engine, forwarded_allow_ips: tuple[str, ...]) -> str:
    from fastapi.testclient import TestClient

    from thermowatch.app import create_app
    from thermowatch.service.settings import Settings

    settings = Settings(env="production", jwt_secret="s" * 40, audit_flush_s=0.05,
                        forwarded_allow_ips=forwarded_allow_ips).checked()  # fmt: skip
    with TestClient(create_app(settings, engine=engine), client=("127.0.0.1", 50000)) as client:
        token = csrf_of(client.get("/login").text)
        r = client.post(
            "/login",
            data={"csrf": token, "name": "reader", "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
            follow_redirects=False,
        )
    return next(c for c in r.headers.get_list("set-cookie") if c.startswith("tw_session="))


def test_cookie_is_secure_behind_tls(engine):
    """nginx (a listed proxy) says the browser talks TLS: the cookie is Secure."""
    assert "Secure" in _cookie_behind_proxy(engine, ("127.0.0.1",))


def test_forwarded_proto_from_an_unlisted_peer_is_ignored(engine):
    """Anyone else saying so is not believed (issue 22: X-Forwarded-Proto from any peer)."""
    assert "Secure" not in _cookie_behind_proxy(engine, ())
    assert "Secure" not in _cookie_behind_proxy(engine, ("10.0.0.1",))


def test_wrong_password_refused_audited_and_account_locked(client, app, engine):
    for _ in range(5):
        r = sign_in(client, "reader", "not the password")
        assert r.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in r.text
    # five failures in a row lock the account: even the right password is refused now
    r = sign_in(client, "reader", PASSWORD)
    assert r.status_code == 429 and "Trop d&#39;essais" in r.text
    deadline = time.monotonic() + 10  # the audit queue flushes every 50 ms
    while True:
        denied = [e for e in entries(engine, action="dashboard.login") if e.outcome == "denied"]
        if len(denied) >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(denied) == 6
    assert {e.target for e in denied} == {"user:reader"}
    assert '"wrong_password"' in denied[-1].detail and '"locked"' in denied[0].detail
    with engine.begin() as conn:  # the lock expires
        conn.execute(update(users).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert sign_in(client, "reader").status_code == 303


def test_sign_in_is_rate_limited_per_address(client, app):
    from thermowatch.dashboard.auth import LOGIN_BURST
    from thermowatch.service.auth import TokenBucket

    # the service's bucket, with a refill slow enough that a loaded machine cannot refill it
    app.state.dashboard_login_limiter = TokenBucket(1e-4, LOGIN_BURST)
    statuses = [sign_in(client, f"nobody{i}", "x" * 12).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_a_sign_in_token_is_ours_and_for_this_address(app):
    """Login CSRF (issue 22): the form's token is issued and signed by the server for the
    address that asked; a value the client chose, or another address's token, is refused."""
    from fastapi.testclient import TestClient

    with TestClient(app, client=("127.0.0.1", 50000)) as mine:
        token = csrf_of(mine.get("/login").text)
        assert token.count(".") == 2  # <nonce>.<issued>.<HMAC>
    with TestClient(app, client=("127.0.0.9", 50000)) as other:
        other.cookies.set("tw_prelogin", token)
        r = other.post("/login", data={"csrf": token, "name": "reader", "password": PASSWORD})
        assert r.status_code == 403
        other.cookies.set("tw_prelogin", "chosen")
        r = other.post("/login", data={"csrf": "chosen", "name": "reader", "password": PASSWORD})
        assert r.status_code == 403
        assert sign_in(other, "reader").status_code == 303  # its own token works


def test_login_form_needs_its_csrf_token(client):
    client.get("/login")
    r = client.post("/login", data={"name": "operator", "password": PASSWORD})
    assert r.status_code == 403 and "jeton de sécurité" in r.text


def test_forms_without_csrf_are_refused(client):
    sign_in(client, "operator")
    for path in ("/alerts/1/acknowledge", "/logout", "/lang", "/actions/1/approve"):
        r = client.post(path, data={"comment": "x"}, follow_redirects=False)
        assert r.status_code == 403, path
        r = client.post(path, data={"csrf": "forged"}, follow_redirects=False)
        assert r.status_code == 403, path
    assert client.get("/").status_code == 200  # still signed in: logout was refused too


def test_open_redirect_is_refused(client):
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"csrf": token, "name": "reader", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_logout_ends_the_session(client, engine):
    sign_in(client, "reader")
    page = client.get("/")
    r = client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(web_sessions)).first() is None
    assert client.get("/", follow_redirects=False).status_code == 303


def test_expired_session_sends_back_to_sign_in(client, engine):
    sign_in(client, "reader")
    with engine.begin() as conn:
        conn.execute(update(web_sessions).values(expires_at=datetime.now(UTC) - timedelta(1)))
    r = client.get("/alerts", follow_redirects=False)
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    assert "Votre session a expiré" in client.get(r.headers["location"]).text


def test_language_switch_is_remembered_per_user(client, app):
    sign_in(client, "operator")
    page = client.get("/")
    assert "Parc de transformateurs" in page.text and 'lang="fr"' in page.text
    r = client.post("/lang", data={"csrf": csrf_of(page.text), "lang": "en"},
                    headers={"Referer": "http://testserver/alerts"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/alerts"
    assert "Transformer fleet" in client.get("/").text
    # a new browser (no cookies) signing in as the same user gets English back
    from fastapi.testclient import TestClient

    with TestClient(app, client=("127.0.0.2", 1)) as other:
        sign_in(other, "operator")
        assert "Transformer fleet" in other.get("/").text
        sign_in(other, "reader")
        assert "Parc de transformateurs" in other.get("/").text


def test_pages_forbid_inline_scripts_and_framing(client):
    sign_in(client, "reader")
    for path in ("/", "/alerts", "/transformers/TR-0001", "/models", "/login"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "<script>" not in r.text, path  # every script is a file of ours


def test_the_session_lasts_what_the_settings_say(engine, monkeypatch):
    """The settings' dashboard_session_hours, given to create_app (it wins over the
    environment, which only load_settings reads), sets the cookie's lifetime and the stored
    session's expiry."""
    from fastapi.testclient import TestClient

    from thermowatch.app import create_app
    from thermowatch.service.settings import Settings

    monkeypatch.setenv("THERMOWATCH_DASHBOARD_SESSION_HOURS", "2")  # not the app's settings
    settings = Settings(env="production", jwt_secret="s" * 40, audit_flush_s=0.05,
                        dashboard_session_hours=8.5).checked()  # fmt: skip
    app = create_app(settings, engine=engine)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        before = datetime.now(UTC)
        r = sign_in(client, "operator")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tw_session="))
    assert "Max-Age=30600" in cookie
    with engine.connect() as conn:
        (expires,) = conn.execute(select(web_sessions.c.expires_at)).one()  # UTCDateTime
    assert timedelta(hours=8.4) < expires - before < timedelta(hours=8.6)
