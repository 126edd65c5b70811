"""What the stage keeps: tables made from the pynamodb models, queues and
buckets (their building blocks, and the attachments bucket). Outside dev it
all outlives the stack.

A kept resource is RetainExceptOnCreate: a creation that fails and rolls
back deletes it (Retain would keep it, and its fixed name would fail the next
try), a stack deletion keeps it, and a stack created again takes it over
(infra/deploy.py imports existing resources by their names). Only what
CloudFormation can import by name is kept under a fixed name (tables, log
groups); queues go with the stack (a queue is imported by its URL, which no
template sets), and buckets are named per stack. Nothing carries deletion
protection: it stops CloudFormation's own rollback too; point-in-time
recovery keeps a deleted table's backup for 35 days."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.naming import RETAINED_STAGES, bucket_name, importable, names

ON_DEMAND = "PAY_PER_REQUEST"
STREAMED_TABLE = "tickets"  # whose stream on_change reads


def retained(resource: dict, retain: bool) -> dict:
    if not retain:
        return resource | {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    return resource | {"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain"}


def models() -> dict:
    importable()
    from chalicelib.adapters.tables import MODELS

    return MODELS


def table_logical_id(base: str) -> str:
    return "".join(part.title() for part in base.split("_")) + "Table"


def tables(stage: str) -> dict:
    prefix, retain = names(stage)["tables"], stage in RETAINED_STAGES
    return {table_logical_id(base): table_resource(model, prefix + base, retain) for base, model in models().items()}


def _keys(key_schema: list[dict]) -> list[dict]:
    # DynamoDB wants HASH before RANGE; pynamodb lists them in attribute order.
    return sorted(
        ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema), key=lambda k: k["KeyType"]
    )


def _index(index: dict) -> dict:
    return {
        "IndexName": index["index_name"],
        "KeySchema": _keys(index["key_schema"]),
        "Projection": index["projection"],
    }


def table_resource(model, table_name: str, retain: bool) -> dict:
    """The table pynamodb's create_table would make, as CloudFormation."""
    if getattr(model.Meta, "billing_mode", None) != ON_DEMAND:
        raise ValueError(f"{model.__name__}: only on-demand tables are generated (no capacities here)")
    schema = model._get_schema()
    properties = {
        "TableName": table_name,
        "BillingMode": ON_DEMAND,
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    view = getattr(model.Meta, "stream_view_type", None)
    if view:  # the stream consumer reads the new image of each change
        properties["StreamSpecification"] = {"StreamViewType": view}
    for key, indexes in (
        ("GlobalSecondaryIndexes", schema["global_secondary_indexes"]),
        ("LocalSecondaryIndexes", schema["local_secondary_indexes"]),
    ):
        if indexes:
            properties[key] = [_index(i) for i in sorted(indexes, key=lambda i: i["index_name"])]
    ttl = model._ttl_attribute()
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    # Never lose customers' requests to a stack deletion or a replacing update.
    return retained({"Type": "AWS::DynamoDB::Table", "Properties": properties}, retain)


def queue(name: str, **extra) -> dict:
    """Deleted with the stack in every stage: a kept queue's fixed name would
    fail a stack created again, which cannot import it (drain the dead-letter
    queues before deleting a stage: docs/operations.md)."""
    importable()
    from chalicelib.adapters.queue import RETENTION  # what redeliveries are remembered against

    return retained(
        {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "MessageRetentionPeriod": int(RETENTION.total_seconds()),
                "SqsManagedSseEnabled": True,
                **extra,
            },
        },
        False,
    )


def bucket(not_logged: str | None = None, **properties) -> dict:
    """A private, versioned, encrypted bucket; `properties` add to or replace
    the defaults. `not_logged` says why it keeps no access log of its own.
    Kept in every stage: CloudFormation cannot delete a bucket that holds
    anything (a deleted dev stack would end DELETE_FAILED), so each is named
    for its stack alone (naming.bucket_name) or by CloudFormation."""
    made = retained(
        {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                **properties,
            },
        },
        True,
    )
    if not_logged:
        made["Metadata"] = {"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": not_logged}]}}
    return made


def expiry(rule: str, *, noncurrent_days: int, days: int | None = None, abort_uploads: bool = False) -> dict:
    """A bucket's lifecycle: objects go after `days` (never when None), replaced
    versions after `noncurrent_days`, unfinished uploads after a day."""
    expires = {"Id": rule, "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days}}
    if days is not None:
        expires["ExpirationInDays"] = days
    if abort_uploads:
        expires["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": 1}
    return {"Rules": [expires]}


def attachments(stage: str) -> dict:
    """Files on tickets: customers' attachments and operators' uploads, under
    each ticket's id. Private; browsers reach single objects through links
    the API signs (uploads from the admin page's origin only). Replaced
    versions go after 30 days; an erasure removes every version at once."""
    n = names(stage)
    return {
        "AttachmentsBucket": bucket(
            BucketName=bucket_name(n["attachments_prefix"]),
            LoggingConfiguration={
                "DestinationBucketName": {"Ref": "AccessLogsBucket"},
                "LogFilePrefix": "s3/attachments/",
            },
            LifecycleConfiguration=expiry("expire-replaced-versions", noncurrent_days=30, abort_uploads=True),
            CorsConfiguration={
                "CorsRules": [
                    {
                        "AllowedOrigins": [{"Ref": "SiteUrl"}],
                        "AllowedMethods": ["POST"],
                        "AllowedHeaders": ["*"],
                        "MaxAge": 600,
                    }
                ]
            },
        ),
        "AttachmentsBucketPolicy": iam.bucket_policy("AttachmentsBucket"),
    }
