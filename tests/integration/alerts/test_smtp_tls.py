"""SMTP with STARTTLS and with implicit TLS against aiosmtpd, trusting a test CA (``ca_file``)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from thermowatch.alerts.channels import DeliveryError, EmailChannel, OutgoingMessage

from .conftest import SmtpSink


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:  # in CI a missing tool is a failure, not a skip
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and openssl is missing (needed for a test certificate)")
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(crt), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def server_context(cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    return ctx


def send(port: int, security: str, ca_file: Path | None) -> str:
    channel = EmailChannel("email", {"host": "127.0.0.1", "port": port, "security": security,
                                     "sender": "tw@example.org", "ca_file": ca_file and str(ca_file),
                                     "timeout_seconds": 5})  # fmt: skip
    return channel.send(OutgoingMessage("op@example.org", "Sujet é", "Corps", "CRITIQUE", 12))


def test_starttls_with_a_trusted_ca(cert):
    sink = SmtpSink()
    sink.start_kwargs = {"tls_context": server_context(cert), "require_starttls": True}
    sink.start()
    try:
        assert "accepted" in send(sink.port, "starttls", cert[0])
        (_, msg), = sink.messages  # fmt: skip
        assert msg["Subject"] == "Sujet é" and msg["X-Priority"] == "1"
        assert msg["Message-ID"] == "<thermowatch-notification-12@example.org>"
        # Without the CA the certificate is refused: the message is not sent in clear.
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            send(sink.port, "starttls", None)
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_implicit_tls(cert):
    sink = SmtpSink()
    sink.start_kwargs = {"ssl_context": server_context(cert)}
    sink.start()
    try:
        assert "accepted" in send(sink.port, "tls", cert[0])
        assert len(sink.messages) == 1
    finally:
        sink.stop()
