"""While DynamoDB cannot be reached, every operator route answers 503 with
Retry-After ("try again shortly"), never 500: the errors of pynamodb and
botocore that mean "unreachable, throttled or outcome unknown" are mapped
in the one error table (domain/errors.py, api/errors.py), not per route."""

import json

import pytest

from tests.faults.proxy import Fault
from tests.route_table import operator_routes

BODIES = {
    ("/tickets/{ticket_id}", "PATCH"): {"status": "open"},
    ("/tickets/{ticket_id}/replies", "POST"): {"body": "Your parcel arrives tomorrow."},
    ("/tickets/{ticket_id}/notes", "POST"): {"body": "Carrier called."},
    ("/tickets/{ticket_id}/calls", "POST"): {"outcome": "reached", "summary": "Explained the delay."},
    ("/tickets/{ticket_id}/preview", "POST"): {"body": "Hello {{first_name}}"},
    ("/tickets/{ticket_id}/uploads", "POST"): {"name": "label.pdf", "type": "application/pdf"},
    ("/agents/{email}", "PUT"): {"available": True},
    ("/macros/{name}", "PUT"): {"title": "Parcel late", "body": "We are on it."},
    ("/tickets", "POST"): {"email": "bob@example.com", "subject": "Your order", "body": "It is late."},
    ("/tickets/{ticket_id}/merge", "POST"): {"into": "01KB1XQ7V9N3E5M2T8A4C6D0FG"},
    ("/tickets/{ticket_id}/split", "POST"): {"message": "2026-11-24T09:00:00.000000Z#000001"},
    ("/tickets/{ticket_id}/presence", "PUT"): {"state": "viewing"},
    ("/customers/{email}", "PATCH"): {"note": "Prefers phone calls."},
    ("/views/{scope}/{name}", "PUT"): {"title": "My open tickets", "filters": {"status": "open"}},
}


@pytest.mark.parametrize(("path", "method"), operator_routes())
def test_every_operator_route_answers_503_with_retry_after_while_dynamodb_is_down(
    client, operator, new_ticket, faults, path, method
):
    ticket = new_ticket()
    url = (
        path.replace("{ticket_id}", ticket["id"])
        .replace("{email}", "ann@example.com" if path.startswith("/customers") else "kim@shop.example")
        .replace("{name}", "parcel-late")
        .replace("{scope}", "mine")
        .replace("{sha256}", "0" * 64)
    )
    headers = operator("admin", "lead@shop.example")
    faults.add(Fault("dynamodb", "outage"))
    body = BODIES.get((path, method))
    response = client.http.request(method, url, headers=headers, body=json.dumps(body) if body else None)
    assert response.status_code == 503, response.body
    assert int(response.headers["Retry-After"]) > 0
    [error] = json.loads(response.body)["errors"]
    assert error["code"] == "unavailable"


def test_a_throttled_table_is_503_too(client, operator, new_ticket, faults):
    ticket = new_ticket()
    faults.add(Fault("dynamodb", "throttled", operation="Query"))
    response = client.http.get(f"/tickets/{ticket['id']}", headers=operator())
    assert response.status_code == 503 and "Retry-After" in response.headers
