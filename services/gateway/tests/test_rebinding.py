"""DNS rebinding: the delivery connects to the address the guard vetted, over real HTTP on loopback, while a
resolver (the only fake) answers an allowed address first and a forbidden one after."""

import asyncio
import datetime as dt
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from botmoon_gateway.db import new_id
from botmoon_gateway.records import WebhookDelivery
from botmoon_gateway.webhooks import Deliverer, DeliveryPolicy, UrlGuard
from botmoon_gateway.webhooks.delivery import attempts_of

NAME = "hooks.rebinding.test"
VETTED, INTERNAL = "127.0.0.1", "127.0.0.2"


class Recorder(ThreadingHTTPServer):
    def __init__(self, address):
        self.seen: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(address, Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def receivers():
    """Two real HTTP servers on the same port: the vetted address and an 'internal' one."""
    for _ in range(20):
        vetted = Recorder((VETTED, 0))
        try:
            internal = Recorder((INTERNAL, vetted.server_address[1]))
        except OSError:
            vetted.shutdown()
            vetted.server_close()
            continue
        yield vetted, internal
        for server in (vetted, internal):
            server.shutdown()
            server.server_close()
        return
    raise AssertionError("no port free on both loopback addresses")


@pytest.fixture
def rebinding_resolver(monkeypatch):
    """Answers NAME with the vetted address the first time and the internal one after; other names resolve."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in (NAME, NAME.encode()):
            asked.append(host)
            address = VETTED if len(asked) == 1 else INTERNAL
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_the_delivery_connects_to_the_vetted_address_not_a_second_answer(db, receivers, rebinding_resolver):
    vetted, internal = receivers
    port = vetted.server_address[1]

    async def main():
        # The allow-list admits the vetted address only; the internal one would be refused if it were looked at.
        deliverer = Deliverer(db, UrlGuard(f"{VETTED}/32"), DeliveryPolicy(timeout_s=3, max_attempts=1))
        row = WebhookDelivery(id=new_id("dlv"), url=f"http://{NAME}:{port}/hook", event="test", payload={"a": 1})
        db.add(row)
        try:
            return await deliverer.deliver(row.id)
        finally:
            await deliverer.close()

    delivery = asyncio.run(main())
    assert (delivery.status, delivery.response_code) == ("delivered", 200)
    assert internal.seen == []
    [request] = vetted.seen
    assert request["host"] == f"{NAME}:{port}"
    assert len(rebinding_resolver) == 1  # one resolution: the guard's
    assert [a.status for a in attempts_of(db, delivery.id)] == ["delivered"]


def test_a_name_that_rebinds_between_attempts_is_refused_on_the_next(db, receivers, rebinding_resolver):
    vetted, internal = receivers
    port = vetted.server_address[1]

    async def main():
        guard = UrlGuard(f"{VETTED}/32")
        await guard.vet(f"http://{NAME}:{port}/hook")  # the check at configuration time took the first answer
        deliverer = Deliverer(db, guard, DeliveryPolicy(timeout_s=3, max_attempts=1))
        row = WebhookDelivery(id=new_id("dlv"), url=f"http://{NAME}:{port}/hook", event="test", payload={})
        db.add(row)
        try:
            return await deliverer.deliver(row.id)
        finally:
            await deliverer.close()

    delivery = asyncio.run(main())
    assert delivery.status == "failed" and "loopback" in delivery.error
    assert internal.seen == [] and vetted.seen == []


def _certificate(tmp_path):
    """A self-signed certificate for NAME (cert and key files) and a client context that trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, ssl.create_default_context(cafile=str(cert_path))


def test_https_keeps_the_name_for_sni_and_the_certificate_check(db, tmp_path, rebinding_resolver):
    cert_path, key_path, client_context = _certificate(tmp_path)
    server = Recorder((VETTED, 0))
    server_names: list[str | None] = []
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    server_context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]

    async def main():
        transport = httpx.AsyncHTTPTransport(verify=client_context, limits=httpx.Limits(max_keepalive_connections=0))
        deliverer = Deliverer(db, UrlGuard(f"{VETTED}/32"), DeliveryPolicy(timeout_s=3, max_attempts=1),
                              transport=transport)
        row = WebhookDelivery(id=new_id("dlv"), url=f"https://{NAME}:{port}/hook", event="test", payload={})
        db.add(row)
        try:
            return await deliverer.deliver(row.id)
        finally:
            await deliverer.close()

    try:
        delivery = asyncio.run(main())
    finally:
        server.shutdown()
        server.server_close()
    assert (delivery.status, delivery.response_code) == ("delivered", 200), delivery.error
    assert server_names == [NAME]
    assert server.seen[0]["host"] == f"{NAME}:{port}"
