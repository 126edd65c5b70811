"""The local emulator's faster answers (local/moto_patches.py) are moto's own:
every kind of DynamoDB attribute value, read back by GetItem, Query and the
table's stream, is what moto's serializer writes; and its server finds the
same services."""

import base64

from chalicelib.adapters.aws import client

TABLE = "careline-local-tickets"
ITEM = {
    "pk": {"S": "every-kind"},
    "sk": {"S": "#"},
    "k": {"S": "ticket"},
    "n": {"N": "12.5"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"l": {"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}, {"BOOL": False}]}, "e": {"M": {}}}},
    "t": {"BOOL": True},
    "text": {"S": "Grüße, 'quotes' and \"doubles\"\n"},
}


def answers():
    dynamodb, streams = client("dynamodb"), client("dynamodbstreams")
    got = dynamodb.get_item(TableName=TABLE, Key={"pk": ITEM["pk"], "sk": ITEM["sk"]})["Item"]
    queried = dynamodb.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]}
    )["Items"]
    arn = streams.list_streams(TableName=TABLE)["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return got, queried, [(r["eventName"], r["dynamodb"].get("NewImage"), r["dynamodb"]["Keys"]) for r in records]


def test_attribute_values_read_back_as_moto_writes_them(services, monkeypatch):
    from moto.core.serialize import BaseJSONSerializer

    client("dynamodb").put_item(TableName=TABLE, Item=ITEM)
    fast = answers()
    assert getattr(BaseJSONSerializer._serialize, "_careline", False)
    monkeypatch.setattr(BaseJSONSerializer, "_serialize", BaseJSONSerializer._serialize.moto)
    assert answers() == fast
    got, queried, records = fast
    assert got == ITEM and queried == [ITEM] and records == [("INSERT", ITEM, {"pk": ITEM["pk"], "sk": ITEM["sk"]})]
    assert base64.b64encode(got["b"]["B"])  # bytes, as sent


def test_the_emulator_server_finds_every_service_moto_has(services):
    from moto import backends

    assert backends.list_of_moto_modules() == tuple(backends.list_of_moto_modules.moto())
    assert {"dynamodb", "dynamodbstreams", "sesv2", "scheduler", "s3", "events"} <= set(backends.list_of_moto_modules())
