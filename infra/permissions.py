"""The IAM actions a stage's deploy role needs, derived rather than guessed:

- CloudFormation creates, updates and deletes the stack's resources with the
  deploy role's credentials (no service role), so the role needs every
  permission the resource types' handlers list in the CloudFormation
  registry schemas (cfn-lint ships them) for create, update and delete;
- infra/deploy.py calls CloudFormation, S3 and CloudFront itself: its calls,
  read from its source.

tests/integration/test_deploy_role.py compares both with what the bootstrap
template grants (no action missing, none unused); infra/generated/
deploy-actions.json is the committed result the bootstrap builds the roles
from. Needs cfn-lint (a test dependency): never imported by the app.
"""

from __future__ import annotations

import ast
import fnmatch
import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ("create", "update", "delete")
# A schema lists what a handler may call for any configuration of the type;
# these few it lists the deploy role must not have, and why.
WITHHELD = {
    # The permissions boundary on every role the stack creates stays: no
    # template of a stage removes one, so neither may the role.
    "iam:DeleteRolePermissionsBoundary": "a role created by the stack keeps its permissions boundary",
}
# boto3 methods of infra/deploy.py whose IAM action is not their operation's name.
S3_METHOD_ACTIONS = {
    "upload_file": ("s3:PutObject",),  # multipart parts too
    "copy_object": ("s3:GetObject", "s3:PutObject"),  # read the source, write the copy
    "list_objects_v2": ("s3:ListBucket",),
    "delete_objects": ("s3:DeleteObject",),
}
SERVICE_PREFIX = {"cloudformation": "cloudformation", "s3": "s3", "cloudfront": "cloudfront", "acm": "acm"}


def _data() -> Path:
    import cfnlint

    return Path(cfnlint.__file__).parent / "data"


@cache
def iam_catalogue() -> dict[str, set[str]]:
    """Every IAM action by service prefix, lower-cased (cfn-lint's policy data)."""
    policies = json.loads((_data() / "AdditionalSpecs" / "Policies.json").read_text())
    return {service: set(entry["Actions"]) for service, entry in policies.items()}


def is_action(action: str) -> bool:
    service, _, name = action.partition(":")
    return name.lower() in iam_catalogue().get(service, set())


@cache
def _providers() -> dict[str, str]:
    return json.loads((_data() / "schemas" / "providers" / "us-east-1.json").read_text())


def schema(resource_type: str) -> dict:
    """The type's CloudFormation registry schema, as cfn-lint ships it."""
    return json.loads((_data() / "schemas" / "resources" / f"{_providers()[resource_type]}.json").read_text())


def import_name(resource_type: str) -> str | None:
    """The property a stack imports an existing resource of this type by
    (ImportExistingResources): its primary identifier, when that is one
    property the template sets; None when it is read-only (a queue's URL, a
    secret's or a user pool's id), so a kept one cannot be taken over."""
    found = schema(resource_type)
    identifier = found.get("primaryIdentifier", [])
    if len(identifier) != 1 or identifier[0] in found.get("readOnlyProperties", []):
        return None
    return identifier[0].removeprefix("/properties/")


def handler_permissions(resource_type: str) -> set[str]:
    """What CloudFormation's handlers may call to create, update and delete one type."""
    handlers = schema(resource_type).get("handlers", {})
    found = {action for handler in HANDLERS for action in handlers.get(handler, {}).get("permissions", [])}
    # Some entries are not IAM actions (`s3:REST.PUT.OBJECT`, retired names): nothing can grant them.
    return {action for action in found if is_action(action)}


def stack_actions(template: dict) -> list[str]:
    """Every action CloudFormation needs from the deploy role for this (expanded) template."""
    types = {resource["Type"] for resource in template["Resources"].values()}
    needed = set().union(*(handler_permissions(t) for t in types)) - set(WITHHELD)
    return sorted(needed)


def deploy_calls(source: Path = ROOT / "infra" / "deploy.py") -> set[str]:
    """The IAM actions of every boto3 call infra/deploy.py makes: `self.<client>.<method>(`."""
    import botocore.session

    session = botocore.session.get_session()
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Attribute) and owner.attr in SERVICE_PREFIX):
            continue
        service, method = owner.attr, node.func.attr
        if method == "get_paginator":  # the paginated operation is the argument
            method = node.args[0].value  # type: ignore[attr-defined]
        if service == "s3" and method in S3_METHOD_ACTIONS:
            found |= set(S3_METHOD_ACTIONS[method])
            continue
        model = session.get_service_model(service)
        names = {botocore_name(op): op for op in model.operation_names}
        found.add(f"{SERVICE_PREFIX[service]}:{names[method]}")
    return found


def botocore_name(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


def granted(policy: dict) -> set[str]:
    """The actions a policy document allows, its wildcards expanded against the catalogue."""
    actions = set()
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for pattern in listed:
            service, _, name = pattern.partition(":")
            if "*" not in name and "?" not in name:
                actions.add(pattern)
                continue
            matches = fnmatch.filter(sorted(iam_catalogue().get(service, set())), name.lower())
            actions |= {f"{service}:{match}" for match in matches}
    return actions


def committed() -> dict[str, list[str]]:
    """Each stage's CloudFormation actions as infra/generated/deploy-actions.json holds them."""
    from infra.stack.ci import ACTIONS_FILE

    return json.loads(ACTIONS_FILE.read_text())
