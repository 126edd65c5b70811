"""Deployed infrastructure, generated from the definitions the app uses.

For each AWS stage this writes
- infra/generated/<stage>.json: a CloudFormation template merged into Chalice's
  (`chalice package --merge-template`): the DynamoDB tables from the pynamodb
  models, the Scheduler group, the role Scheduler assumes to invoke
  `on_schedule`, its dead-letter queue, the inbound-mail bucket, and the
  deployment-derived environment of every function;
- .chalice/policy-<stage>.json: the functions' least-privilege IAM policy.

The admin page and widget bucket sits behind CloudFront (origin access
control; the bucket is private).

`make infra` (python -m infra.build) regenerates both; tests/test_infra.py
fails when the committed files drift from the models.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AWS_STAGES = ("dev", "staging", "prod")
# Chalice's logical ids: CamelCase of each function's name.
FUNCTIONS = ("APIHandler", "OnSchedule", "OnInboundEmail", "RetryOutbox", "ReconcileSla")


def _models():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from chalicelib.adapters.tables import MODELS

    return MODELS


def _logical(base: str) -> str:
    return "".join(part.title() for part in base.split("_")) + "Table"


def table_resource(model, table_name: str, stage: str) -> dict:
    schema = model._get_schema()
    properties = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": schema["key_schema"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    indexes = sorted(schema.get("global_secondary_indexes") or [], key=lambda i: i["index_name"])
    if indexes:
        properties["GlobalSecondaryIndexes"] = [
            {"IndexName": i["index_name"], "KeySchema": i["key_schema"], "Projection": i["projection"]}
            for i in indexes]
    ttl = model._ttl_attribute() if hasattr(model, "_ttl_attribute") else None
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    resource = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    if stage == "prod":  # never lose customers' requests to a stack update
        resource |= {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    return resource


def template(stage: str) -> dict:
    prefix = f"careline-{stage}-"
    resources = {_logical(base): table_resource(model, prefix + base, stage) for base, model in _models().items()}
    resources["ScheduleGroup"] = {"Type": "AWS::Scheduler::ScheduleGroup",
                                  "Properties": {"Name": f"careline-{stage}"}}
    resources["ScheduleDeadLetters"] = {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": f"careline-{stage}-schedule-dlq", "MessageRetentionPeriod": 1209600}}
    resources["SchedulerRole"] = {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": f"careline-{stage}-scheduler",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "invoke-on-schedule", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["OnSchedule", "Arn"]}},
            {"Effect": "Allow", "Action": "sqs:SendMessage",
             "Resource": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}}]}}]}}
    bucket = f"careline-{stage}-inbound-${{AWS::AccountId}}"
    resources["InboundMailPermission"] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": ["OnInboundEmail", "Arn"]},
        "Principal": "s3.amazonaws.com", "SourceAccount": {"Ref": "AWS::AccountId"},
        "SourceArn": {"Fn::Sub": f"arn:aws:s3:::{bucket}"}}}
    resources["InboundMailBucketPolicy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "InboundMailBucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "SesDeliversInboundMail", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": {"Fn::Sub": f"arn:aws:s3:::{bucket}/*"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}}
    resources["InboundMailBucket"] = {"Type": "AWS::S3::Bucket", "DependsOn": "InboundMailPermission", "Properties": {
        "BucketName": {"Fn::Sub": bucket},
        "NotificationConfiguration": {"LambdaConfigurations": [
            {"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": ["OnInboundEmail", "Arn"]}}]},
        "LifecycleConfiguration": {"Rules": [{"Id": "expire-raw-mail", "Status": "Enabled", "ExpirationInDays": 30}]},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}}
    # The admin page and the widget: a private bucket served only through CloudFront.
    resources["StaticSiteBucket"] = {"Type": "AWS::S3::Bucket", "Properties": {
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True}}}
    resources["StaticSiteAccess"] = {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {
        "OriginAccessControlConfig": {"Name": f"careline-{stage}-static", "OriginAccessControlOriginType": "s3",
                                      "SigningBehavior": "always", "SigningProtocol": "sigv4"}}}
    resources["StaticSite"] = {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True, "Comment": f"Careline {stage}: admin page and widget",
        "DefaultRootObject": "admin/index.html", "HttpVersion": "http2",
        "Origins": [{"Id": "static", "DomainName": {"Fn::GetAtt": ["StaticSiteBucket", "RegionalDomainName"]},
                     "OriginAccessControlId": {"Fn::GetAtt": ["StaticSiteAccess", "Id"]},
                     "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        "DefaultCacheBehavior": {"TargetOriginId": "static", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # CachingOptimized
                                 "AllowedMethods": ["GET", "HEAD"], "Compress": True}}}}
    resources["StaticSiteBucketPolicy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": "StaticSiteBucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "CloudFrontReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${StaticSiteBucket.Arn}/*"},
            "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub":
                "arn:aws:cloudfront::${AWS::AccountId}:distribution/${StaticSite}"}}}}]}}}
    environment = {
        "CARELINE_SCHEDULER_TARGET_ARN": {"Fn::GetAtt": ["OnSchedule", "Arn"]},
        "CARELINE_SCHEDULER_ROLE_ARN": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
        "CARELINE_SCHEDULER_DLQ_ARN": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
        "CARELINE_PUBLIC_URL": {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.amazonaws.com/api"},
        "CARELINE_SECRET_PARAMETER": f"/careline/{stage}/signing-secret",
        "CARELINE_COGNITO_ISSUER": {"Ref": "CognitoIssuer"},
        "CARELINE_COGNITO_CLIENT_ID": {"Ref": "CognitoClientId"},
    }
    for function in FUNCTIONS:  # merged into what Chalice generates (dicts merge, lists replace)
        resources[function] = {"Properties": {"Environment": {"Variables": environment}}}
    return {
        "Outputs": {
            "StaticSiteBucketName": {"Value": {"Ref": "StaticSiteBucket"}},
            "StaticSiteUrl": {"Value": {"Fn::Sub": "https://${StaticSite.DomainName}"}}},
        "Parameters": {
            "CognitoIssuer": {"Type": "String", "Description": "https://cognito-idp.<region>.amazonaws.com/<pool id>"},
            "CognitoClientId": {"Type": "String", "Description": "the admin page's app client id"}},
        "Resources": resources,
    }


def policy(stage: str) -> dict:
    prefix = f"careline-{stage}-"
    tables = [f"arn:aws:dynamodb:*:*:table/{prefix}{base}" for base in _models()]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Tables", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable"],
         "Resource": tables + [f"{arn}/index/*" for arn in tables]},
        {"Sid": "Mail", "Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": "*",
         "Condition": {"StringEquals": {"ses:FromAddress": _sender(stage)}}},
        {"Sid": "Schedules", "Effect": "Allow",
         "Action": ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule"],
         "Resource": f"arn:aws:scheduler:*:*:schedule/careline-{stage}/*"},
        {"Sid": "PassSchedulerRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::*:role/careline-{stage}-scheduler"},
        {"Sid": "InboundMail", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::careline-{stage}-inbound-*/*"},
        {"Sid": "SigningSecret", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:*:*:parameter/careline/{stage}/*"},
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:*:*:*"},
    ]}


def _sender(stage: str) -> str:
    return json.loads((ROOT / "chalicelib" / "stages" / f"{stage}.json").read_text())["sender"]


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def outputs() -> dict[Path, str]:
    files = {}
    for stage in AWS_STAGES:
        files[ROOT / "infra" / "generated" / f"{stage}.json"] = render(template(stage))
        files[ROOT / ".chalice" / f"policy-{stage}.json"] = render(policy(stage))
    return files


if __name__ == "__main__":
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
