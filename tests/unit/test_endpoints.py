"""Every AWS client honours AWS_ENDPOINT_URL: set it, and nothing can reach real AWS."""

import pytest


@pytest.fixture
def endpoint(monkeypatch):
    from chalicelib.adapters.tables import reset_clients

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    reset_clients()
    yield "http://127.0.0.1:5999"
    reset_clients()


@pytest.mark.parametrize("service", ["sesv2", "scheduler", "dynamodb"])
def test_boto3_clients_use_the_endpoint(endpoint, service):
    from chalicelib.adapters.aws import client

    assert client(service).meta.endpoint_url == endpoint


def test_pynamodb_tables_and_transactions_use_the_endpoint(endpoint):
    from chalicelib.adapters.tables import MODELS, transaction_connection

    for model in MODELS.values():
        assert model._get_connection().connection.client.meta.endpoint_url == endpoint
    assert transaction_connection().client.meta.endpoint_url == endpoint
