"""The table definitions: only the tickets table streams, with new images."""

from chalicelib.adapters.tables import MODELS


def test_only_the_tickets_table_streams_and_it_streams_new_images():
    streamed = {name: getattr(model.Meta, "stream_view_type", None) for name, model in MODELS.items()}
    assert {name: view for name, view in streamed.items() if view} == {"tickets": "NEW_IMAGE"}
