"""Records every AWS call the app makes during the test run, for
tests/integration/test_iam.py: each must be granted by the function's
policy (infra/stack/policies.py), and each granted action must be used. A
pytest plugin (pytest.ini loads it with `-p tests.iam_recorder`).

A call is the app's when the stack that made it passes through chalicelib/
(not local/, the local stand-ins) or app.py; calls made by the
tests themselves are not recorded. The function is `log.current_function()`
when the entry point bound it, else None (checked against all functions).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = (str(ROOT / "chalicelib") + "/", str(ROOT / "app.py"))
DEV_FILES = str(ROOT / "local") + "/"
REGION, ACCOUNT = "us-east-1", "123456789012"
CALLS: list[Call] = []
_STREAM_SEEN: list[str] = []  # GetRecords names no stream: the one its iterator came from


@dataclass(frozen=True)
class Call:
    function: str | None
    action: str  # IAM action, e.g. dynamodb:PutItem
    resource: str  # the ARN IAM authorises it on


def _app_call() -> bool:
    """The innermost project frame decides: the app's own code, or the local
    stage standing in for AWS (mailbox, provisioning, scheduler, the stream
    poller), which may call the app's handlers in turn."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(DEV_FILES):
            return False
        if name.startswith(APP_FILES):
            return True
        frame = frame.f_back
    return False


def _table(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def iam_requests(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one API call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                (f"dynamodb:{kinds[kind]}", _table(body["TableName"]))
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "TransactGetItems":
            return [("dynamodb:GetItem", _table(item["Get"]["TableName"])) for item in params["TransactItems"]]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
    if service == "sesv2" and operation == "SendEmail":
        domain = params["FromEmailAddress"].rpartition("@")[2]
        pairs = [("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
        if params.get("ConfigurationSetName"):
            pairs.append(
                ("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}")
            )
        return pairs
    if service == "scheduler":
        arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{params.get('GroupName', 'default')}/{params['Name']}"
        pairs = [(f"scheduler:{operation}", arn)]
        if operation in ("CreateSchedule", "UpdateSchedule"):
            pairs.append(("iam:PassRole", params["Target"]["RoleArn"]))
        return pairs
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation == "ListObjectVersions":
            return [("s3:ListBucketVersions", bucket)]
        if operation == "DeleteObjects":  # authorised object by object
            return [
                ("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", f"{bucket}/{o['Key']}")
                for o in params["Delete"]["Objects"]
            ]
        if operation in ("GetObject", "HeadObject"):
            return [("s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject", f"{bucket}/{params['Key']}")]
        return [(f"s3:{operation}", f"{bucket}/{params.get('Key', '')}")]
    if service == "secretsmanager":  # by ARN, or by name: then IAM sees the ARN with Secrets Manager's suffix
        secret = params["SecretId"]
        return [
            (
                f"secretsmanager:{operation}",
                secret
                if secret.startswith("arn:")
                else f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-AbCdEf",
            )
        ]
    if service == "sqs" and "QueueUrl" in params:
        return [
            (f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{params['QueueUrl'].rstrip('/').rsplit('/', 1)[-1]}")
        ]
    if service == "dynamodbstreams":  # IAM's actions for streams are dynamodb's, on the stream's ARN
        if "StreamArn" in params:
            _STREAM_SEEN[:] = [params["StreamArn"]]
        return [(f"dynamodb:{operation}", params.get("StreamArn") or (_STREAM_SEEN or ["*"])[0])]
    if service == "events" and operation == "PutEvents":
        return [
            ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{entry.get('EventBusName', 'default')}")
            for entry in params["Entries"]
        ]
    return [(f"{service}:{operation}", "*")]


def _install() -> None:
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    if getattr(original, "_careline_recorder", False):
        return

    def recording(self, operation_name, api_params):
        if _app_call():
            from chalicelib import log

            function = log.current_function()
            service = self.meta.service_model.service_name
            for action, resource in iam_requests(service, operation_name, api_params):
                CALLS.append(Call(function, action, resource))
        return original(self, operation_name, api_params)

    recording._careline_recorder = True
    botocore.client.BaseClient._make_api_call = recording
    _install_presigning()


def _install_presigning() -> None:
    """A signed link is a call made later with the signing function's role:
    S3 authorises it as the operation it names. Clients take these methods
    when their class is made, so this runs before any client exists."""
    import botocore.signers

    def record(action: str, bucket: str, key: str) -> None:
        if _app_call():
            from chalicelib import log

            CALLS.append(Call(log.current_function(), action, f"arn:aws:s3:::{bucket}/{key}"))

    url, post = botocore.signers.generate_presigned_url, botocore.signers.generate_presigned_post

    def presigned_url(self, ClientMethod, Params=None, *args, **kwargs):
        if self.meta.service_model.service_name == "s3" and Params:
            record("s3:" + self.meta.method_to_api_mapping[ClientMethod], Params["Bucket"], Params.get("Key", ""))
        return url(self, ClientMethod, Params, *args, **kwargs)

    def presigned_post(self, Bucket, Key, *args, **kwargs):
        record("s3:PutObject", Bucket, Key)
        return post(self, Bucket, Key, *args, **kwargs)

    botocore.signers.generate_presigned_url = presigned_url
    botocore.signers.generate_presigned_post = presigned_post


def pytest_configure(config):
    _install()
    config.addinivalue_line("markers", "iam_check: runs after every other test (tests/integration/test_iam.py)")


def pytest_collection_modifyitems(session, config, items):
    # The check reads what the whole run recorded, so it runs last.
    items.sort(key=lambda item: item.get_closest_marker("iam_check") is not None)
