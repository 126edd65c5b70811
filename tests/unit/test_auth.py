"""Operator tokens: the local stage's tokens verify through the same code as
Cognito's; forgeries do not."""

from datetime import timedelta

import jwt
import pytest

from chalicelib.auth import Unauthorized, issue_local_token, local_verifier

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


def test_cognito_tokens_verify_against_the_pools_jwks_fetched_once(clock):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    from chalicelib.auth import CognitoKeys, TokenVerifier

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "pool-key-1", "use": "sig"}
    fetches = []

    class Pool(BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(self.path)
            body = json.dumps({"keys": [jwk]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Pool)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_port}/us-east-1_pool"
    verifier = TokenVerifier(issuer, "client-123", CognitoKeys(f"{issuer}/.well-known/jwks.json"), clock)
    now = int(clock.now().timestamp())

    def token(**changes):
        claims = {
            "sub": "u1",
            "email": "kim@shop.example",
            "cognito:groups": ["admin", "billing"],
            "token_use": "id",
            "iss": issuer,
            "aud": "client-123",
            "iat": now,
            "exp": now + 3600,
        } | changes
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "pool-key-1"})

    try:
        assert verifier.verify(token()).roles == {"admin"}
        assert verifier.verify(token(sub="u2")).subject == "u2"
        assert fetches == ["/us-east-1_pool/.well-known/jwks.json"]  # cached
        for bad in (
            token(aud="another-client"),
            token(token_use="access"),
            token(exp=now - 1),
            token(iss="https://cognito-idp.us-east-1.amazonaws.com/elsewhere"),
        ):
            with pytest.raises(Unauthorized):
                verifier.verify(bad)
    finally:
        server.shutdown()
