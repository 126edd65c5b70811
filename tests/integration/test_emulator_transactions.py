"""The local emulator's light transaction snapshots roll back exactly what
moto's whole-table copies would: items and stream records."""

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.aws import client

TABLE = "careline-local-tickets"


def put(key, **extra):
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {"pk": {"S": key}, "sk": {"S": "#"}, "k": {"S": "ticket"}, **extra},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def state():
    dynamodb = client("dynamodb")
    items = sorted(str(i) for i in dynamodb.scan(TableName=TABLE)["Items"])
    streams = client("dynamodbstreams")
    arn = streams.list_streams(TableName=TABLE)["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return items, len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(services):
    dynamodb = client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[put("a", s={"S": "new"}), put("c")])
    before = state()
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                put("b"),  # applied first, then undone
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "#"}},
                        "UpdateExpression": "SET s = :s",
                        "ExpressionAttributeValues": {":s": {"S": "open"}},
                    }
                },
                put("c"),
            ]
        )  # exists: the condition fails
    assert state() == before


def test_a_transaction_that_succeeds_writes_everything(services):
    dynamodb = client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[put("a"), put("b")])
    items, records = state()
    assert len(items) == 2 and records == 2
