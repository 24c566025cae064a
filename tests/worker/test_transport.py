"""The delivery transport: connects only to vetted addresses while Host, SNI and the
certificate check use the real name; one deadline per attempt; bounded reads."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dispatch.webhooks import ssrf
from dispatch.worker import transport
from dispatch.worker.transport import Sender
from tests.worker.receiver import Receiver, Reply

NAME = "hooks.example.test"


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Resolve NAME to 127.0.0.1 through the SSRF guard's resolver (and record lookups)."""
    lookups: list[tuple[str, int]] = []
    real = ssrf.resolve_public

    def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
        lookups.append((host, port))
        if host == NAME:
            return ["127.0.0.1"]
        return real(host, port, allow_private=allow_private)

    monkeypatch.setattr(transport.ssrf, "resolve_public", resolve)
    return lookups


def test_connects_to_the_vetted_address_but_sends_the_real_host(
    pinned: list[tuple[str, int]],
) -> None:
    with Receiver() as receiver:
        sender = Sender(timeout=2, allow_private=False)
        try:
            exchange = sender.post(f"http://{NAME}:{receiver.port}/in", b"{}", {})
        finally:
            sender.close()
        (request,) = receiver.wait_for(1)
    assert exchange.status_code == 200
    assert request.headers["host"] == f"{NAME}:{receiver.port}"
    assert pinned == [(NAME, receiver.port)]


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_uses_the_real_name_for_sni_and_the_certificate_check(
    pinned: list[tuple[str, int]], tmp_path: Path
) -> None:
    cert_path, key_path = _certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)  # type: ignore[assignment,func-returns-value]
    client_context = ssl.create_default_context(cafile=str(cert_path))

    with Receiver(ssl_context=server_context) as receiver:
        # Private addresses allowed: the refusal below must come from the certificate check.
        sender = Sender(timeout=3, allow_private=True, ssl_context=client_context)
        try:
            ok = sender.post(f"https://{NAME}:{receiver.port}/in", b"{}", {})
            # The same server reached by address: the certificate does not name it.
            refused = sender.post(f"https://127.0.0.1:{receiver.port}/in", b"{}", {})
        finally:
            sender.close()
    assert ok.status_code == 200, ok.error
    assert seen_sni[0] == NAME
    assert refused.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")


def test_blocked_host_is_never_connected_to() -> None:
    with Receiver() as receiver:
        sender = Sender(timeout=2, allow_private=False)
        try:
            exchange = sender.post(f"http://127.0.0.1:{receiver.port}/in", b"{}", {})
        finally:
            sender.close()
        time.sleep(0.1)
        assert receiver.received == []
    assert exchange.status_code is None
    assert exchange.error is not None
    assert exchange.error.startswith("Address refused")


@pytest.fixture
def dripping_server() -> Iterator[int]:
    """Answers with a status line, then one header byte every 0.1 s, forever (bounded)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(5)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(300):
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()
    thread.join(5)


def test_a_server_dripping_bytes_cannot_stretch_the_attempt_past_its_timeout(
    dripping_server: int,
) -> None:
    sender = Sender(timeout=0.5, allow_private=True)
    started = time.monotonic()
    try:
        exchange = sender.post(f"http://127.0.0.1:{dripping_server}/", b"{}", {})
    finally:
        sender.close()
    elapsed = time.monotonic() - started
    assert exchange.status_code is None
    assert exchange.error is not None
    assert exchange.error.startswith("Timed out after 0.5 s")
    assert elapsed < 2.0


def test_redirects_are_returned_not_followed() -> None:
    with Receiver() as receiver:
        receiver.script(Reply(302, headers={"Location": "http://127.0.0.1:9/elsewhere"}))
        sender = Sender(timeout=2, allow_private=True)
        try:
            exchange = sender.post(receiver.url, b"{}", {})
        finally:
            sender.close()
        assert len(receiver.received) == 1
    assert exchange.status_code == 302
    assert exchange.headers["location"] == "http://127.0.0.1:9/elsewhere"
