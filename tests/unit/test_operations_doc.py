"""docs/operations.md's commands from an empty AWS account to a working prod,
run in the order the page gives them against what they act on: AWS commands
through the SDK's own models with stubbed clients (an unknown option or a
missing required one fails as the CLI would), the bootstrap and stage
templates for the stacks, outputs, parameters and rule set they name, the
deploy workflow for the GitHub variables. Each step may use only what the
steps before it made, so the page cannot rot or skip one."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

import boto3
import pytest
import yaml
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

from infra import build
from infra.stack.naming import AWS_STAGES

ROOT = build.ROOT
SECTION = "## From an empty account to a working prod"
CLI_OPTIONS = ("--query", "--output", "--region", "--profile")  # the AWS CLI's own, not the operation's
DEPLOY_WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
OPTIONAL_VARIABLES = {"ALERT_EMAIL", "SITE_URL"}


def documented_commands() -> list[str]:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(" ".join(line.split()))
    return lines


def per_stage(command: str) -> list[str]:
    if "<stage>" not in command:
        return [command]
    return [command.replace("<Stage>", stage.title()).replace("<stage>", stage) for stage in AWS_STAGES]


def template(path: str) -> dict:
    return json.loads((ROOT / path).read_text())


def workflow_variables() -> set[str]:
    text = DEPLOY_WORKFLOW.read_text()
    yaml.safe_load(text)  # a workflow that parses
    return set(re.findall(r"vars\.([A-Z_]+)", text))


@dataclass
class World:
    """What the steps so far have made: stacks and their outputs, the active rule set, GitHub's side."""

    repository_ids: bool = False
    stacks: dict[str, dict] = field(default_factory=dict)  # stack name → template
    active_rule_set: str | None = None
    environments: dict[str, dict] = field(default_factory=dict)
    certificate_for: str | None = None

    def output(self, placeholder: str) -> str:
        """`<the X output>`: X must be an output of a stack already made."""
        match = re.fullmatch(r"<the (\w+) output>", placeholder)
        if not match:
            return placeholder
        for stack in self.stacks.values():
            if match[1] in stack.get("Outputs", {}):
                return f"value-of-{match[1]}"
        raise AssertionError(f"{placeholder}: no stack made so far has that output")


def arguments(words: list[str]) -> dict[str, object]:
    """`--name value...` and `--flag`, the AWS CLI's own options dropped (a list when several values)."""
    found: dict[str, object] = {}
    option = None
    for word in words:
        if word.startswith("--"):
            option = word
            if option not in CLI_OPTIONS:
                found[option[2:]] = True
            continue
        assert option is not None, f"unexpected argument {word}"
        if option in CLI_OPTIONS:
            continue
        value = found[option[2:]]
        found[option[2:]] = word if value is True else [*(value if isinstance(value, list) else [value]), word]
    return found


def aws(world: World, service: str, command: str, options: dict) -> None:
    """An AWS CLI command as the SDK would send it: operation and parameters validated against the model."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    operations = {name: op for op in client.meta.service_model.operation_names if (name := _kebab(op))}
    assert command in operations, f"aws {service} {command}: no such operation"
    shape = client.meta.service_model.operation_model(operations[command]).input_shape
    members = {_kebab(name): name for name in shape.members}
    params = {}
    for option, value in options.items():
        assert option in members, f"aws {service} {command}: no option --{option}"
        member = shape.members[members[option]]
        if value is True:
            assert member.type_name == "boolean", f"--{option} needs a value"
        if isinstance(value, str) and value.startswith("<"):
            value = world.output(value) if value.startswith("<the ") else "filled-in"
        params[members[option]] = value
    with Stubber(client) as stubber:
        stubber.add_response(_snake(operations[command]), {})
        try:
            getattr(client, _snake(operations[command]))(**params)  # botocore validates before the stub answers
        except ParamValidationError as error:
            raise AssertionError(f"aws {service} {command}: {error}") from error


def _kebab(name: str) -> str:
    return xform_name(name, "-")  # as the AWS CLI names operations and options


def _snake(name: str) -> str:
    return xform_name(name)


def run(world: World, command: str) -> None:
    words = shlex.split(command)
    if words[:2] == ["gh", "api"] and words[2].startswith("repos/") and "--jq" in words:
        world.repository_ids = True
    elif words[:3] == ["aws", "cloudformation", "deploy"]:
        options = arguments(words[3:])
        assert world.repository_ids, "the bootstrap needs the owner's and the repository's ids first"
        document = template(str(options["template-file"]))
        overrides = options["parameter-overrides"]
        given = dict(pair.split("=", 1) for pair in (overrides if isinstance(overrides, list) else [overrides]))
        needed = {k for k, p in document["Parameters"].items() if "Default" not in p}
        assert needed <= set(given) <= set(document["Parameters"]), (needed, given)
        assert "CAPABILITY_NAMED_IAM" in command  # it names its roles
        world.stacks[str(options["stack-name"])] = document
    elif words[:3] == ["aws", "cloudformation", "describe-stacks"]:
        options = arguments(words[3:])
        stack = world.stacks.get(str(options["stack-name"]))
        assert stack is not None, f"{options['stack-name']} is not made yet"
        for key in re.findall(r"starts_with\(OutputKey, '(\w+)'\)", command):
            assert any(name.startswith(key) for name in stack["Outputs"]), key
    elif words[:3] == ["aws", "ses", "set-active-receipt-rule-set"]:
        name = arguments(words[3:])["rule-set-name"]
        sets = [
            r["Properties"]["RuleSetName"]
            for stack in world.stacks.values()
            for r in stack["Resources"].values()
            if r.get("Type") == "AWS::SES::ReceiptRuleSet"
        ]
        assert name in sets, f"no stack made so far has the rule set {name}"
        aws(world, "ses", "set-active-receipt-rule-set", {"rule-set-name": name})
        world.active_rule_set = str(name)
    elif words[0] == "aws":
        options = arguments(words[3:])
        if words[1] == "acm":
            assert "--region us-east-1" in command, "CloudFront takes certificates from us-east-1 only"
            world.certificate_for = str(options["domain-name"])
        if words[1] == "cognito-idp":
            assert "careline-prod" in world.stacks, "the user pool is prod's: deploy first"
        aws(world, words[1], words[2], options)
    elif words[:3] == ["gh", "api", "-X"]:
        method, path = words[3], words[4]
        environment = re.fullmatch(r"repos/[^/]+/[^/]+/environments/(\w+)(/deployment-branch-policies)?", path)
        assert environment, path
        stage = environment[1]
        if method == "PUT" and not environment[2]:
            assert "deployment_branch_policy[custom_branch_policies]=true" in command  # named branches only
            settings = world.environments.setdefault(stage, {"variables": set()})
            settings["reviewers"] = "reviewers[][id]=" in command
        else:
            assert method == "POST" and stage in world.environments, command
            assert words[-2:] == ["-f", "name=main"], "deploys come from main alone"
            world.environments[stage]["main_only"] = True
    elif words[:3] == ["gh", "variable", "set"]:
        name = words[3]
        options = dict(zip(words[4::2], words[5::2], strict=True))
        stage = options["--env"]
        assert stage in world.environments, f"environment {stage} is not made yet"
        assert name in workflow_variables(), f"the deploy workflow never reads {name}"
        world.output(options["--body"])
        if name == "SITE_URL":
            assert world.certificate_for and world.certificate_for in options["--body"], "request its certificate first"
        world.environments[stage]["variables"].add(name)
    elif words[:3] == ["git", "push", "origin"] and words[3] == "main":
        assert world.active_rule_set, "activate the receipt rule set first: inbound mail reaches no stage without it"
        required = workflow_variables() - OPTIONAL_VARIABLES
        for stage in AWS_STAGES:
            settings = world.environments.get(stage)
            assert settings and settings.get("main_only"), f"environment {stage}: not made, or not main only"
            assert required <= settings["variables"], (stage, required - settings["variables"])
            world.stacks[f"careline-{stage}"] = template(f"infra/generated/{stage}.json")
        assert world.environments["prod"]["reviewers"], "prod deploys without an approval"
    elif words[:2] == ["make", "smoke"]:
        assert re.search(r"^smoke:", (ROOT / "Makefile").read_text(), re.MULTILINE)
        world.output(words[2].removeprefix("URL="))
    else:
        raise AssertionError(f"a documented command this test does not know: {command}")


def all_commands() -> list[str]:
    return [each for command in documented_commands() for each in per_stage(command)]


def test_the_documented_commands_take_an_empty_account_to_a_working_prod():
    commands = all_commands()
    assert len(commands) >= 20
    world = World()
    for command in commands:
        run(world, command)
    assert set(world.stacks) == {"careline-bootstrap", *(f"careline-{s}" for s in AWS_STAGES)}


@pytest.mark.parametrize(
    "broken",
    [
        "aws ses set-active-receipt-rule-set --rule-set-name careline-inbound-v2",
        "aws sesv2 put-account-details --production-access --mail-type TRANSACTIONAL",
        'aws cognito-idp admin-create-user --user-pool-id "<the PoolId output>" --username a@b.example',
        "aws cognito-idp admin-add-user-to-group --user-pool-id pool --username a@b.example",
        "gh variable set RECEIPT_RULE_SET --env dev --body careline-inbound",
    ],
)
def test_a_step_the_account_cannot_take_is_caught(broken):
    """The checks themselves: a rule set no stack made, an option the operation lacks, an output
    no stack has, a variable the workflow never reads."""
    world = World()
    for command in all_commands():
        run(world, command)
    with pytest.raises(AssertionError):
        run(world, broken)
