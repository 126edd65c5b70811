"""Every route answers a Content-Type it does not take from the app's one
error table (415, field `Content-Type`), never in Chalice's own shape:
proven over the app's own route table, so a new route cannot slip by."""

import re

import pytest

from app import app

REFUSED_TYPES = ("application/xml", "multipart/form-data; boundary=x")


def every_route_and_type_it_refuses():
    """Each route with each of REFUSED_TYPES it does not take (the status page's form takes files: multipart)."""
    return sorted(
        (path, method, content_type)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        for content_type in REFUSED_TYPES
        if content_type.split(";")[0] not in entry.content_types
    )


def concrete(path):
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize("path,method,content_type", every_route_and_type_it_refuses())
def test_a_content_type_no_route_takes_is_refused_in_the_apps_own_shape(client, operator, path, method, content_type):
    headers = operator("admin") | {"Content-Type": content_type}
    response = client.http.request(method, concrete(path), headers=headers, body=b"{}")
    assert response.status_code == 415, (method, path, response.body)
    [error] = response.json_body["errors"]
    assert (error["field"], error["code"]) == ("Content-Type", "unsupported_media_type")
    accepted = " or ".join(app.routes[path][method].content_types)
    assert error["message"] == f"must be {accepted}, not {content_type}"


def test_no_content_type_is_json_which_every_route_takes(client, operator):
    """Chalice and API Gateway read a body without a Content-Type as JSON: no route refuses it."""
    assert all(
        "application/json" in entry.content_types for methods in app.routes.values() for entry in methods.values()
    )
    headers = {k: v for k, v in operator().items() if k != "Content-Type"}
    response = client.http.request("PATCH", "/tickets/01KB1X00000000000000000000", headers=headers, body=b"{}")
    assert response.status_code == 400 and response.json_body["errors"][0]["field"] == "body"


def test_a_form_posted_as_text_is_refused_with_what_the_form_takes_and_cors_for_the_storefront(client):
    response = client.http.post(
        "/inquiries",
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://localhost:3000"},
        body=b'{"name": "Ann Lee", "email": "ann@example.com", "message": "Hi"}',
    )
    assert response.status_code == 415
    assert response.json_body == {
        "errors": [
            {
                "field": "Content-Type",
                "message": "must be application/json or application/x-www-form-urlencoded,"
                " not text/plain;charset=UTF-8",
                "code": "unsupported_media_type",
            }
        ]
    }
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize("content_type", ["*/*", "text/plain, application/json", "Application/JSON;charset=utf-8"])
def test_a_content_type_chalice_takes_is_taken_as_before(client, content_type):
    """The refusal only gives Chalice's own decision the app's shape: what
    Chalice lets through (any type listing */* or a type the route takes)
    still reaches the route."""
    response = client.http.get("/health", headers={"Content-Type": content_type})
    assert (response.status_code, response.json_body) == (200, {"status": "ok"})
