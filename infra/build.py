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
        **alarms.alerts(stage),
        **events.schedules(stage),
        **identity.signing_secret(stage),
        **identity.integrations_secret(stage),
        **identity.operators(stage),
        **mail.outgoing(stage, functions.handler("on_mail_event"), functions.handler("retry_mail")),
        **mail.incoming(stage, functions.handler("on_inbound_email")),
        **data.attachments(stage),
        **events.webhooks(stage),
        **site.resources(stage),
        **api.resources(stage),
        **functions.resources(stage),
    }
    resources |= alarms.queue_alarms(stage, resources)
    return {
        "Parameters": parameters(stage),
        "Conditions": {
            **(
                {"HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]}}
                if alarms.watched(stage)
                else {}
            ),
            "HasOwnDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SiteCertificateArn"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": outputs_of_the_stack(stage),
    }


def parameters(stage: str) -> dict:
    """What infra/deploy.py passes in (each that the template declares)."""
    declared = {
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
        "SiteCertificateArn": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+)?$",
            "Description": "The us-east-1 ACM certificate of SiteUrl's host when it is the shop's own domain "
            "(infra/deploy.py finds it from SITE_URL); empty for CloudFront's",
        },
    }
    if not alarms.watched(stage):
        del declared["AlertEmail"]  # no alarms to send
    return declared


def outputs_of_the_stack(stage: str) -> dict:
    """What infra/deploy.py and the operator read back."""
    outputs = {
        "SiteUrlOutput": {
            "Value": {"Fn::Sub": "https://${StaticSite.DomainName}"},
            "Description": "The CloudFront origin of the admin page, the widget and /api",
        },
        "DistributionId": {"Value": {"Ref": "StaticSite"}},
        "StaticSiteBucketName": {"Value": {"Ref": "StaticSiteBucket"}},
        "CognitoDomainUrl": {"Value": {"Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"}},
        "CognitoClientId": {"Value": {"Ref": "AdminClient"}},
        "UserPoolId": {"Value": {"Ref": "UserPool"}},
        "ScheduleDeadLetterQueueUrl": {"Value": {"Ref": "ScheduleDeadLetters"}},
        **{
            f"DkimRecord{i}": {
                "Value": {
                    "Fn::Sub": f"${{MailIdentity.DkimDNSTokenName{i}}} CNAME ${{MailIdentity.DkimDNSTokenValue{i}}}"
                }
            }
            for i in (1, 2, 3)
        },
    }
    if alarms.watched(stage):
        outputs["AlertTopicArn"] = {"Value": {"Ref": "AlertTopic"}}
    return outputs


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


# `aws cloudformation deploy --template-file` sends the file as it is, and
# CloudFormation takes at most this much that way (more needs an S3 bucket,
# which the bootstrap itself makes).
TEMPLATE_BODY_BYTES = 51_200


def render_by_resource(document: dict) -> str:
    """A template one resource (parameter, output) a line: the bootstrap's
    deploy-role policies list every action by name, and indented they would
    exceed what `aws cloudformation deploy` may send."""

    def compact(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    lines = ["{"]
    sections = sorted(document.items())
    for i, (key, value) in enumerate(sections):
        end = "," if i < len(sections) - 1 else ""
        if not isinstance(value, dict):
            lines.append(f"  {json.dumps(key)}: {compact(value)}{end}")
            continue
        lines.append(f"  {json.dumps(key)}: {{")
        items = sorted(value.items())
        lines += [
            f"    {json.dumps(k)}: {compact(v)}{',' if j < len(items) - 1 else ''}" for j, (k, v) in enumerate(items)
        ]
        lines.append(f"  }}{end}")
    return "\n".join([*lines, "}"]) + "\n"


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
        if path.name == "config.json":
            text = json.dumps(document, indent=2) + "\n"
        else:
            text = render_by_resource(document) if path.name == "bootstrap.json" else render(document)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write()
