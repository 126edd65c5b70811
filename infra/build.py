"""Deployed infrastructure, generated from the definitions the app uses.

For each AWS stage `make infra` writes
- infra/generated/<stage>.json: the CloudFormation template merged into
  Chalice's (`chalice package --merge-template`), made by concern in
  infra/stack/: tables, queues and buckets (data), the signing secret and
  the Cognito pool (identity), SES out and in (mail), schedules and
  outgoing events (events), the site behind CloudFront (site), the API (api),
  the functions (functions), alarms, logs and their key (alarms);
- .chalice/policy-<stage>-<function>.json: each function's own policy, built
  from infra/stack/functions.py FUNCTIONS (what its code calls, what Lambda
  does with its role; infra/stack/policies.py), and the `lambda_functions`
  entries of .chalice/config.json naming them;
- infra/generated/bootstrap.json: once per account, the GitHub OIDC provider,
  one deploy role per stage and the artifact bucket (infra/stack/ci.py).

tests/unit/test_infra.py fails when a committed file drifts from what this
makes.

No function refers to itself, the API or the distribution: CloudFormation
rejects circular dependencies (the API depends on its handler, CloudFront on
the API). So functions get fixed names and ARNs are spelled out with Fn::Sub,
and the site's URL (links in emails, the sign-in callback) is the parameter
SiteUrl, which infra/deploy.py fills from the stack's own output.
"""

from __future__ import annotations

import json
from pathlib import Path

from infra.stack import alarms, api, data, events, functions, identity, mail, site
from infra.stack.ci import bootstrap_template
from infra.stack.functions import app_functions
from infra.stack.mail import rule_set
from infra.stack.naming import (  # noqa: F401  (LAMBDA_*, names, stage_document: infra/deploy.py reads them here)
    AWS_STAGES,
    LAMBDA_PYTHON,
    LAMBDA_RUNTIME,
    ROOT,
    chalice_config,
    names,
    stage_document,
)
from infra.stack.policies import policy, policy_file


def template(stage: str) -> dict:
    """The stage's merge template: its parameters, every concern's resources, its outputs."""
    resources = {
        **data.tables(stage),
        **alarms.stage_key(stage),
        **alarms.alerts(stage),
        **events.schedules(stage),
        **identity.signing_secret(stage),
        **identity.operators(stage),
        **mail.outgoing(stage, functions.handler("on_mail_event"), functions.handler("retry_mail")),
        **mail.incoming(stage, functions.handler("on_inbound_email")),
        **data.attachments(stage),
        **events.webhooks(stage),
        **site.resources(stage),
        **api.resources(stage),
        **functions.resources(stage),
    }
    resources |= alarms.queue_alarms(resources)
    return {
        "Parameters": parameters(stage),
        "Conditions": {
            "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]},
            "OwnsRuleSet": {"Fn::Equals": [{"Ref": "ReceiptRuleSetName"}, ""]},
        },
        "Resources": resources,
        "Outputs": outputs_of_the_stack(),
    }


def parameters(stage: str) -> dict:
    """What infra/deploy.py passes in."""
    return {
        "SiteUrl": {
            "Type": "String",
            "AllowedPattern": "^https://[^/\\s]+$",
            "Description": "The admin site's origin (CloudFront or its custom domain): links in emails "
            "and the sign-in callback; infra/deploy.py fills it from the SiteUrlOutput",
        },
        "AlertEmail": {
            "Type": "String",
            "Default": "",
            "Description": "Who receives the alarms (confirm the subscription mail); empty for none",
        },
        "ReceiptRuleSetName": {
            "Type": "String",
            "Default": "",
            "Description": "An existing receipt rule set to add the inbound rule to; "
            f"empty to create {names(stage)['rule_set']}",
        },
    }


def outputs_of_the_stack() -> dict:
    """What infra/deploy.py and the operator read back."""
    return {
        "SiteUrlOutput": {
            "Value": {"Fn::Sub": "https://${StaticSite.DomainName}"},
            "Description": "The CloudFront origin of the admin page, the widget and /api",
        },
        "DistributionId": {"Value": {"Ref": "StaticSite"}},
        "StaticSiteBucketName": {"Value": {"Ref": "StaticSiteBucket"}},
        "CognitoDomainUrl": {"Value": {"Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"}},
        "CognitoClientId": {"Value": {"Ref": "AdminClient"}},
        "UserPoolId": {"Value": {"Ref": "UserPool"}},
        "AlertTopicArn": {"Value": {"Ref": "AlertTopic"}},
        "ScheduleDeadLetterQueueUrl": {"Value": {"Ref": "ScheduleDeadLetters"}},
        "InboundRuleSet": {"Value": rule_set()},
        **{
            f"DkimRecord{i}": {
                "Value": {
                    "Fn::Sub": f"${{MailIdentity.DkimDNSTokenName{i}}} CNAME ${{MailIdentity.DkimDNSTokenValue{i}}}"
                }
            }
            for i in (1, 2, 3)
        },
    }


def lambda_functions_config(stage: str) -> dict:
    """`.chalice/config.json` → stages.<stage>.lambda_functions: each function its own policy file."""
    return {name: {"iam_policy_file": policy_file(stage, name)} for name in app_functions()}


def chalice_config_with_functions() -> dict:
    config = chalice_config()
    for stage in AWS_STAGES:
        stage_config = config["stages"][stage]
        stage_config.pop("iam_policy_file", None)  # no shared policy: each function has its own
        stage_config["lambda_functions"] = lambda_functions_config(stage)
    return config


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def outputs() -> dict[Path, dict]:
    files = {
        ROOT / ".chalice" / "config.json": chalice_config_with_functions(),
        ROOT / "infra" / "generated" / "bootstrap.json": bootstrap_template(),
    }
    for stage in AWS_STAGES:
        files[ROOT / "infra" / "generated" / f"{stage}.json"] = template(stage)
        for name in app_functions():
            files[ROOT / ".chalice" / policy_file(stage, name)] = policy(stage, name)
    return files


def stale_files() -> list[Path]:
    """Generated files no longer generated (a removed function's policy)."""
    made = set(outputs())
    return [p for p in (ROOT / ".chalice").glob("policy-*.json") if p not in made]


def write() -> None:
    for path in stale_files():
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    for path, document in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(document) if path.name != "config.json" else json.dumps(document, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write()
