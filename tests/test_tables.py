"""The table definitions and the one botocore session every client shares."""

from chalicelib.adapters.aws import botocore_session
from chalicelib.adapters.tables import MODELS, TicketTable, transaction_connection


def test_pynamodb_builds_its_clients_from_the_shared_session(services):
    # pynamodb makes a botocore session per connection unless its get_session
    # is the container's: each costs ~130 ms of CPU. A pynamodb upgrade that
    # stops calling pynamodb.connection.base.get_session fails here.
    assert TicketTable._get_connection().connection.session is botocore_session()
    assert transaction_connection().session is botocore_session()


def test_only_the_tickets_table_streams_and_it_streams_new_images():
    streamed = {name: getattr(model.Meta, "stream_view_type", None) for name, model in MODELS.items()}
    assert {name: view for name, view in streamed.items() if view} == {"tickets": "NEW_IMAGE"}
