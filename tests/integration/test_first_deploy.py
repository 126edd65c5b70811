"""What a first deploy on a fresh AWS account meets, read from the templates
CloudFormation executes (each stage's packaged template after the SAM
transform, and the bootstrap template): each rule here is one AWS documents
and the emulator does not enforce."""

import json

import pytest

from infra import build
from infra.stack.alarms import LOG_RETENTION_DAYS
from infra.stack.api import API_RATE_LIMIT
from tests.integration import packaging

STAGES = build.AWS_STAGES
BOOTSTRAP = build.ROOT / "infra" / "generated" / "bootstrap.json"


def resources(stage: str) -> dict:
    return packaging.expanded(stage)["Resources"]


def of_type(stage: str, kind: str) -> dict:
    return {k: r for k, r in resources(stage).items() if r["Type"] == kind}


def bootstrap() -> dict:
    return json.loads(BOOTSTRAP.read_text())


# A failed creation can be tried again; a deleted stack can be created again.


@pytest.mark.parametrize("stage", STAGES)
def test_a_rollback_deletes_what_the_failed_creation_made_but_the_inbound_mail_bucket(stage):
    """Retain holds even when the creation that made a resource rolls back;
    RetainExceptOnCreate does not. The inbound bucket is the exception: SES
    writes into it as soon as the receipt rule exists, so no rollback could
    delete it, and its name is the stack's own."""
    kept = {k: r.get("DeletionPolicy") for k, r in resources(stage).items() if r.get("DeletionPolicy") == "Retain"}
    assert kept == {"InboundMailBucket": "Retain"}
    bucket = resources(stage)["InboundMailBucket"]["Properties"]
    assert "AWS::StackId" in json.dumps(bucket["BucketName"])


@pytest.mark.parametrize("stage", STAGES)
def test_nothing_blocks_its_own_rollback(stage):
    """Deletion protection stops CloudFormation too: a failed creation's
    rollback could not delete a protected table or user pool (ROLLBACK_FAILED)."""
    for table in of_type(stage, "AWS::DynamoDB::Table").values():
        assert table["Properties"].get("DeletionProtectionEnabled") is not True
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for pool in of_type(stage, "AWS::Cognito::UserPool").values():
        assert pool["Properties"].get("DeletionProtection", "INACTIVE") == "INACTIVE"


@pytest.mark.parametrize("stage", STAGES)
def test_buckets_are_named_per_stack_so_a_new_stack_never_meets_an_old_one(stage):
    """A bucket cannot be deleted while it holds anything, so the stack keeps
    them all; each name carries the stack's own id, as the import of a
    retained resource needs a static name, which a bucket name (account id
    and all) cannot be."""
    for key, bucket in of_type(stage, "AWS::S3::Bucket").items():
        assert bucket["DeletionPolicy"] in ("Retain", "RetainExceptOnCreate"), key
        name = bucket["Properties"].get("BucketName")
        assert name is None or "AWS::StackId" in json.dumps(name), key


# Names AWS does not require to be unique: a kept one never blocks a new one.
NAMES_MAY_REPEAT = {"AWS::Cognito::UserPool"}


@pytest.mark.parametrize("stage", STAGES)
def test_what_a_deleted_stack_kept_never_blocks_a_new_one(stage):
    """A kept resource with a fixed name is one a stack created again can
    import by that name (the registry schema's primary identifier, set by
    the template: tables, log groups); anything else a stack keeps is named
    per stack, by CloudFormation, or needs no unique name."""
    from infra.permissions import import_name

    for key, resource in resources(stage).items():
        if resource.get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate"):
            continue
        if resource["Type"] == "AWS::S3::Bucket" or resource["Type"] in NAMES_MAY_REPEAT:
            continue  # per stack (test above), or no unique name
        by = import_name(resource["Type"])
        name = resource["Properties"].get(by) if by else None
        per_stack = any(own in json.dumps(name) for own in ("AWS::StackId", "${RestAPI}"))  # new with each stack
        assert (by and isinstance(name, str)) or per_stack, (key, resource["Type"])


@pytest.mark.parametrize("stage", STAGES)
def test_no_function_reserves_concurrency(stage):
    """A new account's concurrency quota is 10 and Lambda keeps 10 unreserved:
    any reservation fails the first deploy."""
    assert "ReservedConcurrentExecutions" not in json.dumps(resources(stage))


# One receipt rule set per account and region, outside the stages.


def test_the_receipt_rule_set_is_the_accounts_not_a_stages():
    for stage in STAGES:
        assert not of_type(stage, "AWS::SES::ReceiptRuleSet"), stage
        (rule,) = of_type(stage, "AWS::SES::ReceiptRule").values()
        assert rule["Properties"]["RuleSetName"] == "careline-inbound"
    sets = [r for r in bootstrap()["Resources"].values() if r["Type"] == "AWS::SES::ReceiptRuleSet"]
    assert [s["Properties"]["RuleSetName"] for s in sets] == ["careline-inbound"]


# The API: one stage, named, watched.


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_has_its_stages_name_and_one_protected_stage(stage):
    (api,) = of_type(stage, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Name"] == f"careline-{stage}"
    assert [d["Properties"].get("StageName") for d in of_type(stage, "AWS::ApiGateway::Deployment").values()] == [None]
    (api_stage,) = of_type(stage, "AWS::ApiGateway::Stage").values()
    assert api_stage["Properties"]["StageName"] == "api"
    assert api_stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] == API_RATE_LIMIT


def test_the_5xx_alarm_watches_the_api_by_its_name():
    (api,) = of_type("prod", "AWS::ApiGateway::RestApi").values()
    alarm = resources("prod")["Api5xxAlarm"]["Properties"]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions == {"ApiName": api["Properties"]["Name"], "Stage": "api"}


@pytest.mark.parametrize("stage", STAGES)
def test_api_gateways_execution_log_expires(stage):
    groups = {
        r["Properties"]["LogGroupName"].get("Fn::Sub")
        if isinstance(r["Properties"]["LogGroupName"], dict)
        else r["Properties"]["LogGroupName"]: r
        for r in of_type(stage, "AWS::Logs::LogGroup").values()
    }
    execution = groups["API-Gateway-Execution-Logs_${RestAPI}/api"]
    assert execution["Properties"]["RetentionInDays"] == LOG_RETENTION_DAYS[stage]


# The customer's address behind CloudFront.


@pytest.mark.parametrize("stage", STAGES)
def test_cloudfront_vouches_for_the_viewers_address_with_a_secret_the_api_knows(stage):
    from chalicelib.api.http import ORIGIN_SECRET, VIEWER_ADDRESS

    config = resources(stage)["StaticSite"]["Properties"]["DistributionConfig"]
    (api_origin,) = [o for o in config["Origins"] if o["Id"] == "api"]
    (secret,) = [h["HeaderValue"] for h in api_origin["OriginCustomHeaders"] if h["HeaderName"] == ORIGIN_SECRET]
    (behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    (association,) = behaviour["FunctionAssociations"]
    function = resources(stage)[association["FunctionARN"]["Fn::GetAtt"][0]]["Properties"]
    assert association["EventType"] == "viewer-request"
    assert f"'{VIEWER_ADDRESS}'" in function["FunctionCode"] and "event.viewer.ip" in function["FunctionCode"]
    handler = resources(stage)["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert handler["CARELINE_ORIGIN_SECRET"] == secret


# A shop's own domain.


@pytest.mark.parametrize("stage", STAGES)
def test_a_shops_own_domain_is_served_with_its_certificate(stage):
    template = packaging.expanded(stage)
    assert template["Parameters"]["SiteCertificateArn"]["Default"] == ""
    config = template["Resources"]["StaticSite"]["Properties"]["DistributionConfig"]
    aliases, certificate = config["Aliases"]["Fn::If"], config["ViewerCertificate"]["Fn::If"]
    assert aliases[0] == certificate[0] == "HasOwnDomain"
    assert aliases[1] == [{"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "SiteUrl"}]}]}]
    assert certificate[1] == {
        "AcmCertificateArn": {"Ref": "SiteCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert certificate[2] == {"CloudFrontDefaultCertificate": True}


# The bootstrap: packages kept for rollbacks, the trust pinned.


def test_no_package_a_rollback_may_need_expires():
    bucket = bootstrap()["Resources"]["ArtifactBucket"]["Properties"]
    for rule in bucket["LifecycleConfiguration"]["Rules"]:
        assert "ExpirationInDays" not in rule and "ExpirationDate" not in rule, rule  # only replaced versions go


def test_the_deploy_roles_trust_only_this_repositorys_environment():
    for stage in STAGES:
        role = bootstrap()["Resources"][f"{stage.title()}DeployRole"]["Properties"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        condition = statement["Condition"]
        assert set(condition) == {"StringEquals"}  # no pattern: nothing but the exact subjects
        subjects = condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
        assert subjects == [
            {"Fn::Sub": f"repo:${{GitHubOwner}}/${{GitHubRepository}}:environment:{stage}"},
            {
                "Fn::Sub": f"repo:${{GitHubOwner}}@${{GitHubOwnerId}}/${{GitHubRepository}}@${{GitHubRepositoryId}}"
                f":environment:{stage}"
            },
        ]
    parameters = bootstrap()["Parameters"]
    assert (
        parameters["GitHubOwnerId"]["AllowedPattern"]
        == parameters["GitHubRepositoryId"]["AllowedPattern"]
        == "^[0-9]+$"
    )
