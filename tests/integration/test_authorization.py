"""Every route is either public by the contract or needs a token, and roles
hold: proven over the app's own route table, so a new route cannot slip by."""

import json
import re

import pytest

from tests.route_table import operator_routes

ADMIN_ONLY = {
    ("/macros/{name}", "PUT"),
    ("/macros/{name}", "DELETE"),
    ("/customers/{email}/export", "GET"),
    ("/customers/{email}", "DELETE"),
    ("/agents/{email}", "DELETE"),
}


def concrete(path):
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize("path,method", operator_routes())
@pytest.mark.parametrize("auth", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
def test_operator_routes_refuse_missing_or_bad_tokens(client, path, method, auth):
    headers = {"Content-Type": "application/json"} | ({"Authorization": auth} if auth else {})
    response = client.http.request(method, concrete(path), headers=headers, body=b"{}")
    assert response.status_code == 401, (method, path, response.body)


@pytest.mark.parametrize("path,method", sorted(ADMIN_ONLY))
def test_admin_routes_refuse_agents_and_admit_admins(client, operator, path, method):
    agent = client.http.request(method, concrete(path), headers=operator("agent"), body=b"{}")
    assert agent.status_code == 403
    admin = client.http.request(method, concrete(path), headers=operator("admin"), body=b"{}")
    assert admin.status_code not in (401, 403)


def test_a_token_with_no_careline_role_is_403(client, services):
    import jwt

    from local.tokens import issue_local_token

    token = issue_local_token("x@shop.example", "agent", services.settings.public_url, services.clock.now())
    claims = jwt.decode(token, options={"verify_signature": False}) | {"cognito:groups": ["billing"]}
    from local.tokens import LOCAL_KID, _local_key

    forged_but_signed = jwt.encode(claims, _local_key(), algorithm="RS256", headers={"kid": LOCAL_KID})
    response = client.http.get("/tickets", headers={"Authorization": f"Bearer {forged_but_signed}"})
    assert response.status_code == 403


def test_public_routes_need_no_token(client):
    assert client.http.get("/health").status_code == 200
    body = json.dumps({"name": "Ann", "email": "ann@example.com", "message": "Hi"})
    assert client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=body).status_code == 201


def test_operator_routes_answer_503_with_retry_after_while_the_pools_keys_cannot_be_fetched(
    client, services, monkeypatch
):
    """Not a 500, and not a 401 (which signs the operator out): the token may be good."""
    import socket

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from chalicelib.auth import CognitoKeys, TokenVerifier

    with socket.socket() as unused:  # a port nothing answers on: the pool's endpoint is down
        unused.bind(("127.0.0.1", 0))
        issuer = f"http://127.0.0.1:{unused.getsockname()[1]}/us-east-1_pool"
    keys = CognitoKeys(f"{issuer}/.well-known/jwks.json")
    monkeypatch.setitem(services.__dict__, "verifier", TokenVerifier(issuer, "client-123", keys, services.clock))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(services.clock.now().timestamp())
    claims = {"sub": "u1", "token_use": "id", "iss": issuer, "aud": "client-123", "exp": now + 3600}
    token = jwt.encode(claims | {"cognito:groups": ["agent"]}, key, algorithm="RS256", headers={"kid": "pool-key-1"})
    for _ in range(3):
        response = client.http.get("/tickets", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.headers["Retry-After"]) == (503, "30")
        assert response.json_body["errors"][0]["field"] == "Authorization"
