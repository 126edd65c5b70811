"""The local stage's AWS emulator takes concurrent requests: every one of many
simultaneous DynamoDB transactions (each adding an item and counting it on a
shared item, as intake does with the day's counters) commits, and the count
matches, while other transactions are refused by their conditions (as a
rate-limited intake is). Through moto's plain ThreadedMotoServer the same
load loses writes (a cancelled transaction restores whole-table snapshots) or
fails with "dictionary changed size during iteration"."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from local.emulator import SerialisedMotoServer
from tests.stack import free_port

THREADS, EACH, EXISTING = 16, 4, 600  # enough items that a table snapshot takes a while to copy


@pytest.fixture
def emulator():
    server = SerialisedMotoServer(port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def dynamodb(endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=THREADS),
    )


def test_concurrent_transactions_through_the_emulator_all_commit(emulator):
    client = dynamodb(emulator)
    client.create_table(
        TableName="items",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    for first in range(0, EXISTING, 25):
        client.batch_write_item(
            RequestItems={
                "items": [
                    {"PutRequest": {"Item": {"pk": {"S": f"old#{n}"}}}} for n in range(first, min(first + 25, EXISTING))
                ]
            }
        )

    def write(worker: int) -> list[str]:
        failures = []
        for n in range(EACH):
            try:  # refused by its condition: nothing of it may stay, nothing else may be undone
                client.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": "items", "Item": {"pk": {"S": f"refused#{worker}#{n}"}}}},
                        {
                            "ConditionCheck": {
                                "TableName": "items",
                                "Key": {"pk": {"S": "no-such-item"}},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                    ]
                )
                failures.append("a transaction whose condition fails committed")
            except client.exceptions.TransactionCanceledException:
                pass
            except Exception as error:
                failures.append(repr(error))
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": "items",
                                "Item": {"pk": {"S": f"item#{worker}#{n}"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": "items",
                                "Key": {"pk": {"S": "counter"}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}},
                            }
                        },
                    ]
                )
            except Exception as error:  # what a customer would see as a 503
                failures.append(repr(error))
        return failures

    with ThreadPoolExecutor(THREADS) as pool:
        failures = [f for found in pool.map(write, range(THREADS)) for f in found]

    assert failures == []
    counter = client.get_item(TableName="items", Key={"pk": {"S": "counter"}})["Item"]["n"]["N"]
    assert int(counter) == THREADS * EACH
    assert client.scan(TableName="items", Select="COUNT")["Count"] == EXISTING + THREADS * EACH + 1


def test_start_fails_loudly_when_the_port_is_taken(emulator):
    port = int(emulator.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        SerialisedMotoServer(port=port).start()


def test_a_transaction_never_copies_whole_tables(emulator, monkeypatch):
    """moto's own transactions copy every named table per item, and the copies
    pile up (memory grows with the square of what is stored)."""
    from moto.dynamodb.models.table import Table

    copies = []
    monkeypatch.setattr(Table, "__deepcopy__", lambda table, memo: copies.append(table), raising=False)
    client = dynamodb(emulator)
    client.create_table(
        TableName="few",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    client.transact_write_items(TransactItems=[{"Put": {"TableName": "few", "Item": {"pk": {"S": "a"}}}}])
    assert copies == []


def test_a_write_refused_halfway_undoes_the_transactions_earlier_writes(emulator):
    client = dynamodb(emulator)
    client.create_table(
        TableName="undo",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    client.put_item(TableName="undo", Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
    client.put_item(TableName="undo", Item={"pk": {"S": "text"}, "a": {"S": "not a number"}})
    with pytest.raises(client.exceptions.ClientError):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "undo", "Item": {"pk": {"S": "kept"}, "v": {"N": "2"}}}},
                {"Put": {"TableName": "undo", "Item": {"pk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "undo",
                        "Key": {"pk": {"S": "text"}},
                        "UpdateExpression": "ADD a :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },  # moto refuses it only when writing
            ]
        )
    items = {i["pk"]["S"]: i for i in client.scan(TableName="undo")["Items"]}
    assert set(items) == {"kept", "text"} and items["kept"]["v"] == {"N": "1"}


def _session_client(service, endpoint):
    """A client from a session made now (sessions copy botocore's handlers when they are made)."""
    import botocore.session
    from botocore.config import Config

    return botocore.session.Session().create_client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )


def test_calls_dispatched_in_process_answer_as_over_the_socket(monkeypatch):
    """`make run`'s own calls skip the socket: same answers, errors and state as
    what the socket serves (the browser's uploads), and none of them reaches it."""
    import urllib.request

    from botocore.handlers import BUILTIN_HANDLERS
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    served = []
    run_wsgi = MotoRequestHandler.run_wsgi
    monkeypatch.setattr(MotoRequestHandler, "run_wsgi", lambda self: served.append(self.path) or run_wsgi(self))
    server = SerialisedMotoServer(port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    handlers = list(BUILTIN_HANDLERS)
    try:
        server.dispatch_in_process()
        s3, dynamodb = _session_client("s3", endpoint), _session_client("dynamodb", endpoint)
        s3.create_bucket(Bucket="files")
        data = bytes(range(256)) * 40  # binary, not UTF-8
        s3.put_object(Bucket="files", Key="a/b.bin", Body=data, ContentType="application/octet-stream")
        assert s3.get_object(Bucket="files", Key="a/b.bin")["Body"].read() == data
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="files", Key="missing")
        dynamodb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
        assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
        assert served == []  # nothing went through the socket
        signed = s3.generate_presigned_url("get_object", Params={"Bucket": "files", "Key": "a/b.bin"})
        with urllib.request.urlopen(signed, timeout=10) as answer:  # the browser's way: the same state
            assert answer.read() == data
        assert served == ["/files/a/b.bin?" + signed.split("?", 1)[1]]
    finally:
        server.stop()
        BUILTIN_HANDLERS[:] = handlers
