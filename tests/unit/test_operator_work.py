"""Customer records when the index and the tickets disagree: a customer whose
only indexed ticket is gone is not found."""

import pytest


def test_a_customer_whose_only_indexed_ticket_is_gone_is_not_found(settings, clock):
    """The index is read before the tickets: a ticket gone in between is no customer (404), not a crash."""
    from chalicelib.domain.errors import NotFound
    from chalicelib.services.customers import CustomerService

    class Customers:
        def customer(self, email):
            return None

    class Tickets:
        def ticket_ids_of(self, email, limit=None):
            return ["01KB1X00000000000000000000"]

        def tickets(self, ids):
            return {}

    with pytest.raises(NotFound):
        CustomerService(settings, clock, Tickets(), Customers(), writer=None, audit=None).get("ann@example.com")
