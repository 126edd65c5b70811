"""The stage's settings and every name its resources share between the
template, the policies and the app's settings (config.py derives the same
defaults)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
AWS_STAGES = ("dev", "staging", "prod")
# Tables, queues, the secret and the user pool outlive the stack, except in
# dev, whose data is disposable. (Buckets and log groups outlive it in every
# stage: infra/stack/data.py and alarms.py say why.)
RETAINED_STAGES = ("staging", "prod")
# Alarms, the metric they need and the alert topic's mail cost money every
# month (docs/operations.md, "What a stage costs"): only prod is watched.
ALARMED_STAGES = ("prod",)
# The newest Python that both Chalice 1.34 and Lambda support. Chalice takes
# the runtime, and the wheels it packages, from the Python that runs
# `chalice package`, so infra/deploy.py packages only with this version.
LAMBDA_PYTHON = (3, 14)
LAMBDA_RUNTIME = "python{}.{}".format(*LAMBDA_PYTHON)


def importable() -> None:
    """The app and chalicelib importable from the build (they define the tables, functions and headers)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pynamodb has no default region


def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def stage_environment(stage: str) -> dict:
    return chalice_config()["stages"][stage]["environment_variables"]


def stage_document(stage: str) -> dict:
    return json.loads((ROOT / "chalicelib" / "stages" / f"{stage}.json").read_text())


def integrations(stage: str) -> tuple[str, ...]:
    """The third parties the stage's settings connect that need credentials (today: the shop's store)."""
    return ("commerce",) if stage_document(stage).get("commerce") else ()


def sender(stage: str) -> str:
    return stage_document(stage)["sender"]


def names(stage: str) -> dict[str, str]:
    """Every name a stage's resources share between the template, the
    policies and the app's settings (config.py derives the same defaults)."""
    app, env = chalice_config()["app_name"], stage_environment(stage)
    base = f"{app}-{stage}"
    return {
        "app": base,  # Chalice's own prefix for the stage's functions
        "stack": base,
        "tables": env["CARELINE_TABLE_PREFIX"],
        "group": env["CARELINE_SCHEDULER_GROUP"],
        "scheduler_role": f"{base}-scheduler",
        "dead_letters": f"{base}-schedule-dlq",
        "alerts": f"{base}-alerts",
        "mail_events": f"{base}-mail-events",
        "secret": f"{app}/{stage}/signing-secret",
        "integrations_secret": f"{app}/{stage}/integrations",  # third-party credentials, when the stage has any
        "inbound_prefix": f"{base}-inbound-",  # + account id and the stack's: bucket names are global
        "attachments_prefix": f"{base}-attachments-",  # + account id and the stack's
        "mail_domain": sender(stage).rpartition("@")[2],
        "support_address": stage_document(stage)["support_address"],
        "configuration_set": base,
        "bus": base,
        "webhooks": f"{base}-webhooks",
        "webhook_dead_letters": f"{base}-webhooks-dlq",
        "webhook_secrets": f"{app}/{stage}/webhooks/",  # + the endpoint's name
        "rule_set": f"{app}-inbound",  # one active receipt rule set per account and region: the bootstrap's
        "boundary": f"{base}-boundary",  # the permissions boundary of every role the stack creates
        "metrics_namespace": f"Careline/{stage}",
    }


def function_name(stage: str, chalice_name: str) -> str:
    """A function's fixed name: nothing refers to its own ARN (see infra/build.py)."""
    base = names(stage)["app"]
    return base if chalice_name == "api_handler" else f"{base}-{chalice_name}"


def logical_id(chalice_name: str) -> str:
    """The logical id `chalice package` gives a function."""
    importable()
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if chalice_name == "api_handler" else to_cfn_resource_name(chalice_name)


def lambda_arn(name: str) -> dict:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"}


def stack_uuid() -> dict:
    """The random part of the stack's id: new with every stack, known to no one outside the account."""
    return {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def bucket_name(prefix: str) -> dict:
    """A bucket name of this stack alone (`<prefix><account>-<8 hex of the stack id>`): a stack
    created again never meets the buckets its predecessor kept."""
    stack = {"Fn::Select": [0, {"Fn::Split": ["-", stack_uuid()]}]}
    return {"Fn::Sub": [f"{prefix}${{AWS::AccountId}}-${{Stack}}", {"Stack": stack}]}


def boundary_arn(stage: str) -> dict:
    """The bootstrap's permissions boundary for the stage's roles (infra/stack/ci.py)."""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{names(stage)['boundary']}"}
