"""Operator tokens: the local stage's tokens verify through the same code as
Cognito's; forgeries do not."""

import json
from datetime import timedelta
from functools import cache
from types import SimpleNamespace

import jwt
import pytest

import chalicelib.auth
from chalicelib.auth import REFETCH_SECONDS, Unauthorized
from chalicelib.domain.errors import ServiceUnavailable
from local.tokens import issue_local_token, local_verifier

URL = "http://127.0.0.1:8000"


def test_local_token_verifies_with_its_role(clock):
    principal = local_verifier(URL, clock).verify(issue_local_token("op@shop.example", "agent", URL, clock.now()))
    assert (principal.email, principal.roles) == ("op@shop.example", frozenset({"agent"}))


def test_expired_token_is_refused_by_the_injected_clock(clock):
    token = issue_local_token("op@shop.example", "admin", URL, clock.now())
    clock.advance(timedelta(days=366))
    with pytest.raises(Unauthorized, match="expired"):
        local_verifier(URL, clock).verify(token)


def test_unsigned_token_is_refused(clock):
    forged = jwt.encode(
        {
            "sub": "x",
            "email": "x@y.z",
            "cognito:groups": ["admin"],
            "token_use": "id",
            "iss": f"{URL}/_dev",
            "aud": "careline-local",
            "exp": 9999999999,
        },
        None,
        algorithm="none",
        headers={"kid": "careline-local"},
    )
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(forged)


def test_tampered_claims_are_refused(clock):
    token = issue_local_token("op@shop.example", "agent", URL, clock.now())
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["cognito:groups"] = ["admin"]
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(f"{header}.{forged_payload}.{signature}")


def test_token_of_another_issuer_is_refused(clock):
    token = issue_local_token("op@shop.example", "agent", "http://elsewhere.example", clock.now())
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(token)


@cache
def signing_key(kid):
    """One RSA key for each kid for the whole run: generating one takes 50-300 ms."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Pool:
    """A user pool's JWKS endpoint on a local port: the keys it publishes, the
    fetches it answered, and `failing` to answer 500 instead."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        self.keys, self.fetches, self.failing = [], [], False
        pool = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                pool.fetches.append(self.path)
                status, body = (500, b"{}") if pool.failing else (200, json.dumps({"keys": pool.keys}).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        # Polled often, so that close() returns at once rather than after serve_forever's default 0.5 s.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self._server.server_port}/us-east-1_pool"

    def publish(self, kid):
        from jwt.algorithms import RSAAlgorithm

        key = signing_key(kid)
        self.keys.append(json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": kid, "use": "sig"})
        return key

    def verifier(self, clock, interval_seconds=30):
        from chalicelib.auth import CognitoKeys, TokenVerifier

        keys = CognitoKeys(f"{self.issuer}/.well-known/jwks.json", interval_seconds=interval_seconds)
        return TokenVerifier(self.issuer, "client-123", keys, clock)

    def token(self, key, kid, now, **changes):
        claims = {
            "sub": "u1",
            "email": "kim@shop.example",
            "cognito:groups": ["admin", "billing"],
            "token_use": "id",
            "iss": self.issuer,
            "aud": "client-123",
            "iat": now,
            "exp": now + 3600,
        } | changes
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def close(self):
        self._server.shutdown()


@pytest.fixture
def pool():
    running = Pool()
    yield running
    running.close()


@pytest.fixture
def elapse(monkeypatch):
    """PyJWKClient's cooldown and the pause after a failed fetch count
    time.monotonic(): moved on here rather than waited for."""
    now = [1000.0]
    stepped = SimpleNamespace(monotonic=lambda: now[0])
    monkeypatch.setattr(jwt.jwks_client, "time", stepped)
    monkeypatch.setattr(chalicelib.auth, "time", stepped)

    def forward(seconds):
        now[0] += seconds

    return forward


def test_cognito_tokens_verify_against_the_pools_jwks_fetched_once(clock, pool):
    key = pool.publish("pool-key-1")
    verifier = pool.verifier(clock)
    now = int(clock.now().timestamp())

    def token(**changes):
        return pool.token(key, "pool-key-1", now, **changes)

    assert verifier.verify(token()).roles == {"admin"}
    assert verifier.verify(token(sub="u2")).subject == "u2"
    assert pool.fetches == ["/us-east-1_pool/.well-known/jwks.json"]  # cached
    for bad in (
        token(aud="another-client"),
        token(token_use="access"),
        token(exp=now - 1),
        token(iss="https://cognito-idp.us-east-1.amazonaws.com/elsewhere"),
    ):
        with pytest.raises(Unauthorized):
            verifier.verify(bad)


def test_unknown_kids_fetch_the_key_set_at_most_once_per_interval(clock, pool, elapse):
    """A caller with made-up kids cannot make every request fetch the key set;
    a key the pool rotated in is found after the interval."""
    key = pool.publish("pool-key-1")
    verifier = pool.verifier(clock, interval_seconds=0.5)
    now = int(clock.now().timestamp())
    assert verifier.verify(pool.token(key, "pool-key-1", now)).subject == "u1"
    for n in range(20):
        with pytest.raises(Unauthorized, match="signing key"):
            verifier.verify(pool.token(key, f"made-up-{n}", now))
    assert len(pool.fetches) == 1

    rotated = pool.publish("pool-key-2")
    elapse(0.6)
    assert verifier.verify(pool.token(rotated, "pool-key-2", now)).subject == "u1"
    for n in range(20):
        with pytest.raises(Unauthorized):
            verifier.verify(pool.token(key, f"made-up-again-{n}", now))
    assert len(pool.fetches) == 2


def test_a_key_set_that_cannot_be_fetched_answers_503_and_is_not_fetched_per_request(clock, pool, elapse):
    """Retry-After, never a 500 nor a 401 (the admin page signs the operator
    out on a 401); once it answers again, tokens verify."""
    key = pool.publish("pool-key-1")
    pool.failing = True
    verifier = pool.verifier(clock, interval_seconds=0.5)
    now = int(clock.now().timestamp())
    for n in range(10):
        with pytest.raises(ServiceUnavailable) as refused:
            verifier.verify(pool.token(key, "pool-key-1" if n % 2 else f"made-up-{n}", now))
        assert (refused.value.status, refused.value.field) == (503, "Authorization")
        assert refused.value.headers == {"Retry-After": str(REFETCH_SECONDS)}
    assert len(pool.fetches) == 1

    pool.failing = False
    elapse(0.6)
    assert verifier.verify(pool.token(key, "pool-key-1", now)).subject == "u1"
    assert len(pool.fetches) == 2


def test_a_key_set_kept_from_before_serves_while_the_endpoint_fails(clock, pool, elapse):
    """A made-up kid meeting a failing endpoint costs operators nothing: the keys already held still verify."""
    key = pool.publish("pool-key-1")
    verifier = pool.verifier(clock, interval_seconds=0.2)
    now = int(clock.now().timestamp())
    assert verifier.verify(pool.token(key, "pool-key-1", now)).subject == "u1"
    pool.failing = True
    elapse(0.3)
    with pytest.raises(ServiceUnavailable):
        verifier.verify(pool.token(key, "made-up", now))
    assert verifier.verify(pool.token(key, "pool-key-1", now)).subject == "u1"
