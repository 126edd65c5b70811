"""The one botocore session every client shares, pynamodb's included."""

from chalicelib.adapters.aws import botocore_session
from chalicelib.adapters.tables import TicketTable, transaction_connection


def test_pynamodb_builds_its_clients_from_the_shared_session(services):
    # pynamodb makes a botocore session per connection unless its get_session
    # is the container's: each costs ~130 ms of CPU. A pynamodb upgrade that
    # stops calling pynamodb.connection.base.get_session fails here.
    assert TicketTable._get_connection().connection.session is botocore_session()
    assert transaction_connection().session is botocore_session()
