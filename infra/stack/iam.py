"""Every IAM statement and policy document of the stack: the functions'
policies, the roles' trust and permissions, key, topic, queue and bucket
policies."""

from __future__ import annotations

VERSION = "2012-10-17"


def statement(
    effect: str,
    action: str | list[str],
    resource: str | list | dict | None = None,
    *,
    sid: str | None = None,
    principal: str | dict | None = None,
    condition: dict | None = None,
) -> dict:
    fields = {"Sid": sid, "Principal": principal, "Resource": resource, "Condition": condition}
    return {"Effect": effect, "Action": action, **{k: v for k, v in fields.items() if v is not None}}


def allow(action: str | list[str], resource: str | list | dict | None = None, **more) -> dict:
    return statement("Allow", action, resource, **more)


def document(*statements: dict) -> dict:
    return {"Version": VERSION, "Statement": list(statements)}


def service(name: str | dict) -> dict:
    return {"Service": name}


def same_account() -> dict:
    """The condition on a service principal: only on this account's behalf (no confused deputy)."""
    return {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def allow_service(service_name: str, action: str | list[str], resource: str | dict, sid: str) -> dict:
    """An AWS service may act, on this account's behalf only."""
    return allow(action, resource, sid=sid, principal=service(service_name), condition=same_account())


def trust(principal: dict, action: str = "sts:AssumeRole", condition: dict | None = None) -> dict:
    """A role's trust policy: who may assume it."""
    return document(allow(action, principal=principal, condition=condition))


def role(trusted: dict, policies: dict[str, dict] | None = None, **properties) -> dict:
    """An IAM role: its trust policy, then its inline policies by name."""
    props = {"AssumeRolePolicyDocument": trusted, **properties}
    if policies:
        props["Policies"] = [{"PolicyName": name, "PolicyDocument": doc} for name, doc in policies.items()]
    return {"Type": "AWS::IAM::Role", "Properties": props}


def invoke_permission(function: str, principal: str, source_arn: dict, *, source_account: bool = True) -> dict:
    """A function's resource policy: the service may invoke it for this source (of this account)."""
    properties = {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": [function, "Arn"]},
        "Principal": principal,
        "SourceArn": source_arn,
    }
    if source_account:
        properties["SourceAccount"] = {"Ref": "AWS::AccountId"}
    return {"Type": "AWS::Lambda::Permission", "Properties": properties}


def arn(service: str, resource: str, region: bool = True) -> str:
    # Function policies are plain files (Chalice reads them as they are), so
    # account and region are wildcards; names carry the stage.
    return f"arn:aws:{service}:{'*' if region else ''}:*:{resource}"


def https_only(bucket: str) -> dict:
    """A bucket policy's first statement: nothing over plain HTTP."""
    return statement(
        "Deny",
        "s3:*",
        [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        sid="HttpsOnly",
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


def bucket_policy(bucket: str, *statements: dict) -> dict:
    """A bucket's policy: HTTPS only, then whom else it lets in."""
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": bucket}, "PolicyDocument": document(https_only(bucket), *statements)},
    }
