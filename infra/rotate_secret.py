"""Secrets Manager rotation for the signing secret (inlined into each stage's
template by infra/build.py, so keep it short: CloudFormation inlines at most
4,096 characters). A new random key becomes AWSCURRENT; Secrets Manager moves
the old one to AWSPREVIOUS, which the app keeps accepting, so feedback links
mailed before a rotation still verify until the next one."""

import boto3

sm = boto3.client("secretsmanager")


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    versions = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    if token not in versions:
        raise ValueError(f"version {token} is not a version of the secret")
    if "AWSCURRENT" in versions[token]:
        return  # already done (Secrets Manager retries steps)
    if step == "createSecret":
        if "AWSPENDING" not in versions[token]:
            raise ValueError(f"version {token} is not pending")
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            key = sm.get_random_password(PasswordLength=64, ExcludePunctuation=True)["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=key, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        sm.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )
    elif step not in ("setSecret", "testSecret"):  # nothing outside Secrets Manager holds the key
        raise ValueError(f"unknown step {step}")
