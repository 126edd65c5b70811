"""A stage's life rehearsed in the emulator: infra/deploy.py's own code path
(package upload, change sets, stack states, site publishing) against moto's
CloudFormation, in process.

moto's CloudFormation creates, updates and deletes the resources it models in
moto's own services (tables, log groups, queues, functions, roles, buckets,
topics, the API), so fixed names collide and retained resources outlive the
stack as they do in AWS. What moto lacks the rehearsal plays, as AWS's
documentation describes it, and nowhere else:

- resource types moto has no model for: STUBBED, the one list, each a record
  whose name (where the type has one) is unique in the account while it lives;
- CloudFormation's engine (`Engine`): the SAM transform of each change set
  (with the translator AWS's transform is), rolling back a failed operation
  (moto stops where it failed), the deletion policy RetainExceptOnCreate and
  the execution flag of that name (moto knows only Retain), the deletion of a
  bucket that is not empty failing (moto silently keeps it), and a CREATE
  change set's ImportExistingResources adopting the retained resources whose
  names the template fixes;
- SES writing its setup notification into the bucket of a new receipt rule's
  S3 action (that object is why a stack cannot delete that bucket).
"""

from __future__ import annotations

import copy
import io
import json
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from moto.cloudformation import parsing
from moto.cloudformation.models import Event, cloudformation_backends

from infra import deploy
from tests.integration import packaging

ACCOUNT, REGION = "123456789012", "us-east-1"

# Resource types moto's CloudFormation (5.2) has no model for: the rehearsal
# stands a record in for each (type: where its name is, or None).
STUBBED: dict[str, str | None] = {
    # moto's RestApi ignores its Body (it imports OpenAPI 3 only, Chalice writes
    # Swagger 2), so a deployment of it finds no methods; its stage has no model.
    "AWS::ApiGateway::RestApi": None,
    "AWS::ApiGateway::Deployment": None,
    "AWS::ApiGateway::Stage": None,
    "AWS::CloudFront::Distribution": None,
    "AWS::CloudFront::Function": "Name",
    "AWS::CloudFront::OriginAccessControl": "OriginAccessControlConfig.Name",
    "AWS::CloudFront::ResponseHeadersPolicy": "ResponseHeadersPolicyConfig.Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Cognito::UserPool": None,  # pool names need not be unique
    "AWS::Cognito::UserPoolClient": None,
    "AWS::Cognito::UserPoolDomain": "Domain",
    "AWS::Cognito::UserPoolGroup": None,
    "AWS::Logs::MetricFilter": None,
    "AWS::S3::BucketPolicy": None,
    "AWS::SES::ConfigurationSet": "Name",
    "AWS::SES::ConfigurationSetEventDestination": None,
    "AWS::SES::EmailIdentity": "EmailIdentity",
    "AWS::SES::ReceiptRule": "Rule.Name",
    "AWS::SES::ReceiptRuleSet": "RuleSetName",
    "AWS::SNS::Subscription": None,
    "AWS::SNS::TopicPolicy": None,
    "AWS::SQS::QueuePolicy": None,
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::SecretsManager::RotationSchedule": None,
    "AWS::SecretsManager::Secret": "Name",
    "AWS::CertificateManager::Certificate": None,
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::XRay::SamplingRule": "SamplingRule.RuleName",
}
KEPT_ON_DELETE = ("Retain", "RetainExceptOnCreate")


class AlreadyExists(Exception):
    pass


@dataclass
class Account:
    """The stubs alive in the emulated account, by (type, name)."""

    live: dict[tuple[str, str], Stub] = field(default_factory=dict)
    serial: int = 0


ACCOUNT_STATE = Account()


def _name_of(properties: dict, path: str | None) -> str | None:
    value: object = properties
    for part in (path or "").split(".") if path else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


class Stub:
    """A resource of a type moto's CloudFormation does not model."""

    type_name = ""

    def __init__(self, logical: str, properties: dict):
        ACCOUNT_STATE.serial += 1
        self.logical_resource_id = logical
        self.properties = properties
        self.name = _name_of(properties, STUBBED[self.type_name])
        self.physical = self.name or f"{logical.lower()}-{ACCOUNT_STATE.serial:06d}"
        service = self.type_name.split("::")[1].lower()
        self.arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{logical.lower()}/{self.physical}"
        if self.type_name == "AWS::SecretsManager::Secret":  # its Ref is its ARN, with Secrets Manager's suffix
            self.physical = self.arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{self.name}-AbCdEf"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.physical

    def get_cfn_attribute(self, attr: str) -> str:
        if attr.endswith("Arn"):
            return self.arn
        if attr == "DomainName":
            return f"d{ACCOUNT_STATE.serial:06d}.cloudfront.net"
        if attr == "ProviderURL":
            return f"cognito-idp.{REGION}.amazonaws.com/{REGION}_{self.physical}"
        return f"{self.physical}-{attr.lower()}"

    def is_created(self) -> bool:
        return True

    def _claim(self) -> None:
        if self.name is None:
            return
        key = (self.type_name, self.name)
        if key in ACCOUNT_STATE.live:
            raise AlreadyExists(f"{self.name} already exists")
        ACCOUNT_STATE.live[key] = self

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        stub = cls(kwargs["LogicalId"], cloudformation_json.get("Properties", {}))
        stub._claim()
        stub.created(account_id)
        return stub

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        new = cls(original_resource.logical_resource_id, cloudformation_json.get("Properties", {}))
        if new.name != original_resource.name:  # a new name replaces the resource
            new._claim()
            original_resource.delete(account_id, region_name)
        else:
            new.physical, new.arn = original_resource.physical, original_resource.arn
            if new.name is not None:
                ACCOUNT_STATE.live[(cls.type_name, new.name)] = new
        return new

    def delete(self, account_id: str, region_name: str) -> None:
        if self.name is not None and ACCOUNT_STATE.live.get((self.type_name, self.name)) is self:
            del ACCOUNT_STATE.live[(self.type_name, self.name)]

    def created(self, account_id: str) -> None:
        if self.type_name == "AWS::SES::ReceiptRule":  # SES proves it can write to the rule's bucket
            from moto.s3.models import s3_backends

            for action in self.properties["Rule"].get("Actions", []):
                bucket = action.get("S3Action", {}).get("BucketName")
                if bucket:
                    s3_backends[account_id]["aws"].put_object(bucket, "AMAZON_SES_SETUP_NOTIFICATION", b"SES setup")


def occupy(resource_type: str, name: str) -> None:
    """A resource of a stubbed type made outside the stack (by hand, by another stack)."""
    stub = STUB_CLASSES[resource_type]("Outside", {})
    stub.name = name
    ACCOUNT_STATE.live[(resource_type, name)] = stub


def release(resource_type: str, name: str) -> None:
    del ACCOUNT_STATE.live[(resource_type, name)]


STUB_CLASSES = {name: type(name.replace("::", ""), (Stub,), {"type_name": name}) for name in STUBBED}


def _existing(resource_type: str, name: str):
    """A resource of the account with this name, of a type CloudFormation imports by name."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.logs.models import logs_backends

    if resource_type == "AWS::Logs::LogGroup":
        return logs_backends[ACCOUNT][REGION].groups.get(name)
    if resource_type == "AWS::DynamoDB::Table":
        return dynamodb_backends[ACCOUNT][REGION].tables.get(name)
    raise AssertionError(f"the rehearsal cannot import {resource_type} yet")


class Engine:
    """The CloudFormation client infra/deploy.py gets: moto's, with what
    CloudFormation's engine does that moto does not (see the module's doc)."""

    def __init__(self, client, s3):
        self.client = client
        self.s3 = s3
        self.imports: dict[str, bool] = {}
        self.failed: list[tuple[str, str, str]] = []  # (logical id, type, reason) of the current operation

    def __getattr__(self, name):
        return getattr(self.client, name)

    @property
    def backend(self):
        return cloudformation_backends[ACCOUNT][REGION]

    def create_change_set(self, *, TemplateURL, ImportExistingResources=False, **kwargs):
        bucket, key = TemplateURL.removeprefix("https://").split(".s3.", 1)[0], TemplateURL.split("/", 3)[3]
        template = json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        self.imports[kwargs["ChangeSetName"]] = ImportExistingResources and kwargs["ChangeSetType"] == "CREATE"
        return self.client.create_change_set(TemplateBody=json.dumps(packaging.expand(template)), **kwargs)

    def execute_change_set(self, *, StackName, ChangeSetName, RetainExceptOnCreate=False):
        change_set = self.backend.describe_change_set(ChangeSetName)
        stack = self.backend.stacks[change_set.stack_id]
        creating = change_set.change_set_type == "CREATE"
        before = None if creating else (stack.template, copy.deepcopy(stack.template_dict), dict(stack.parameters))
        existing = set(stack.resource_map._resource_json_map) if not creating else set()
        adopted = self._adopt(stack, change_set.template_dict) if self.imports.get(ChangeSetName) else set()
        self.failed = []
        try:
            with self._recording_failures():
                self.client.execute_change_set(StackName=StackName, ChangeSetName=ChangeSetName)
        except Exception as error:  # what the failing resource's service answered
            reason = str(error)
            logical, kind = self.failed[0][:2] if self.failed else ("(unknown)", "")  # the innermost
            self._event(stack, logical, kind, f"{'CREATE' if creating else 'UPDATE'}_FAILED", reason)
            self._roll_back(stack, change_set, before, existing | adopted, RetainExceptOnCreate)
            return {}
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        stack.tags = dict(change_set.tags or {})
        return {}

    @contextmanager
    def _recording_failures(self):
        create, update = parsing.parse_and_create_resource, parsing.parse_and_update_resource

        def recorded(real):
            def call(logical_id, resource_json, *args, **kwargs):
                try:
                    return real(logical_id, resource_json, *args, **kwargs)
                except Exception as error:
                    self.failed.append((logical_id, resource_json["Type"], str(error)))
                    raise

            return call

        with (
            mock.patch.object(parsing, "parse_and_create_resource", recorded(create)),
            mock.patch.object(parsing, "parse_and_update_resource", recorded(update)),
        ):
            yield

    def _adopt(self, stack, template: dict) -> set[str]:
        """ImportExistingResources: retained resources the template names, adopted instead of created."""
        from infra.permissions import import_name

        adopted = set()
        for logical, resource in template["Resources"].items():
            if resource.get("DeletionPolicy") not in KEPT_ON_DELETE or resource["Type"] == "AWS::S3::Bucket":
                continue  # only retained resources; a bucket's name here is never static
            by = import_name(resource["Type"])  # the registry's rule: a primary identifier the template sets
            name = resource.get("Properties", {}).get(by or "")
            if not isinstance(name, str):
                continue  # only static names can be imported
            found = _existing(resource["Type"], name)
            if found is not None:
                found.logical_resource_id = logical
                found.cf_resource_type = resource["Type"]
                stack.resource_map._parsed_resources[logical] = found
                adopted.add(logical)
        return adopted

    def _event(self, stack, logical: str, kind: str, status: str, reason: str | None = None) -> None:
        stack.events.append(Event(stack.stack_id, stack.name, logical, "", kind, status, reason, None))

    def _roll_back(self, stack, change_set, before, kept: set[str], retain_except_on_create: bool) -> None:
        """Delete what the failed operation created (unless retained and not
        RetainExceptOnCreate), and for an update, put the rest back as it was."""
        resource_map = stack.resource_map
        template = change_set.template_dict["Resources"]
        created = [k for k in list(resource_map._parsed_resources) if k in template and k not in kept]
        creating = before is None
        stack.status = "ROLLBACK_IN_PROGRESS" if creating else "UPDATE_ROLLBACK_IN_PROGRESS"
        self._event(stack, stack.name, "AWS::CloudFormation::Stack", stack.status)
        failed = False
        for logical in reversed(created):
            resource = resource_map._parsed_resources.pop(logical)
            policy = template[logical].get("DeletionPolicy", "Delete")
            if policy == "Retain" and not retain_except_on_create:
                continue  # Retain holds even when the operation that created it rolls back
            try:
                self._delete(resource_map, resource, template[logical])
            except Exception as error:
                failed = True
                self._event(stack, logical, template[logical]["Type"], "DELETE_FAILED", str(error))
        if not creating:
            old_text, old_template, old_parameters = before
            resource_map._resource_json_map = {
                k: v for k, v in resource_map._resource_json_map.items() if k not in created
            }
            with warnings.catch_warnings():  # moto: "Unable to delete <what the rollback already deleted>"
                warnings.simplefilter("ignore", UserWarning)
                resource_map.update(old_template, old_parameters)
            stack.template, stack.template_dict = old_text, old_template
            stack.output_map = stack._create_output_map()
        end = "ROLLBACK" if creating else "UPDATE_ROLLBACK"
        stack.status = f"{end}_FAILED" if failed else f"{end}_COMPLETE"
        self._event(stack, stack.name, "AWS::CloudFormation::Stack", stack.status)

    def _delete(self, resource_map, resource, resource_json: dict) -> None:
        if resource_json["Type"] == "AWS::S3::Bucket":
            from moto.s3.models import s3_backends

            bucket = s3_backends[ACCOUNT]["aws"].buckets.get(resource.physical_resource_id)
            if bucket is not None and bucket.keys:  # S3 refuses; moto would silently keep the bucket
                raise RuntimeError(f"The bucket you tried to delete is not empty ({bucket.name})")
        resource_map._delete_resource(resource, resource_json)

    def delete_stack(self, *, StackName):
        stack = self.backend.get_stack(StackName)
        resource_map = stack.resource_map
        original = resource_map._resource_json_map
        from moto.s3.models import s3_backends

        buckets = s3_backends[ACCOUNT]["aws"].buckets
        stuck = []
        effective = {}
        for logical, resource in original.items():
            policy = resource.get("DeletionPolicy", "Delete")
            parsed = resource_map._parsed_resources.get(logical)
            bucket = (
                buckets.get(getattr(parsed, "physical_resource_id", ""))
                if resource["Type"] == "AWS::S3::Bucket"
                else None
            )
            if policy not in KEPT_ON_DELETE and bucket is not None and bucket.keys:
                stuck.append(logical)
                policy = "Retain"  # left alone by moto; the stack then fails to delete
            effective[logical] = resource | {"DeletionPolicy": "Retain" if policy in KEPT_ON_DELETE else policy}
        resource_map._resource_json_map = effective
        self.client.delete_stack(StackName=StackName)
        if stuck:  # AWS keeps the stack, DELETE_FAILED, with the resources it could not delete
            self.backend.deleted_stacks.pop(stack.stack_id, None)
            self.backend.stacks[stack.stack_id] = stack
            for logical in stuck:
                self._event(
                    stack, logical, "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty"
                )
            stack.status = "DELETE_FAILED"
        return {}


def deployment_zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return data.getvalue()


def packager(stage: str, extra: dict | None = None):
    """deploy.package's stand-in: the stage's sam.json (packaged once per test
    session), plus resources a step adds to make an operation fail."""

    def package(stage_: str, out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        (out / "deployment.zip").write_bytes(deployment_zip())
        template = copy.deepcopy(packaging.sam(stage))
        template["Resources"].update(extra or {})
        return template

    return package


class CloudFront:
    """The distribution is stubbed (STUBBED), so is its invalidation."""

    def __init__(self):
        self.invalidations = []

    def create_invalidation(self, **kwargs):
        self.invalidations.append(kwargs)


@contextmanager
def stubbed_types():
    from moto.events.models import EventBus

    ACCOUNT_STATE.live.clear()
    with (
        mock.patch.dict(parsing.get_model_map(), STUB_CLASSES),
        # moto's event bus lacks a Ref (AWS: its name), so a rule naming it by Ref fails.
        mock.patch.object(EventBus, "physical_resource_id", property(lambda bus: bus.name), create=True),
    ):
        yield


def deployer(stage: str, engine: Engine, s3, version: str, extra: dict | None = None, tmp: Path = Path("/tmp")):
    return deploy.Deployer(
        stage=stage,
        cloudformation=engine,
        s3=s3,
        cloudfront=CloudFront(),
        bucket=packaging.ARTIFACT_BUCKET,
        region=REGION,
        version=version,
        build_dir=tmp,
        package=packager(stage, extra),
        smoke=lambda url: True,
        log=lambda line: None,
        env={},
        poll_seconds=0,
    )
