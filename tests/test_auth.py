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
    forged = jwt.encode({"sub": "x", "email": "x@y.z", "cognito:groups": ["admin"], "token_use": "id",
                         "iss": f"{URL}/_dev", "aud": "careline-local", "exp": 9999999999},
                        None, algorithm="none", headers={"kid": "careline-local"})
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(forged)


def test_tampered_claims_are_refused(clock):
    token = issue_local_token("op@shop.example", "agent", URL, clock.now())
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["cognito:groups"] = ["admin"]
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(f"{header}.{forged_payload}.{signature}")


def test_token_of_another_issuer_is_refused(clock):
    token = issue_local_token("op@shop.example", "agent", "http://elsewhere.example", clock.now())
    with pytest.raises(Unauthorized):
        local_verifier(URL, clock).verify(token)
