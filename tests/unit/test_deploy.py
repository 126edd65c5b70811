"""`make deploy`'s steps with stubbed AWS clients (no AWS account here):
what it uploads, which change sets it makes, what the site gets, and what
happens when CloudFormation or the smoke test fails."""

import io
import json

import pytest

from infra import build, deploy


class Stack:
    """CloudFormation as deploy.py sees it: change sets that execute into a
    stack, and the states a stack can be left in. `statuses` scripts what the
    next describe calls see (another deploy's operation in progress)."""

    def __init__(self, exists=False, fail_execution=False, outputs=None, artifact=None, status=None):
        self.stack = None
        self.calls = []
        self.fail_execution = fail_execution
        self.statuses = []
        self.delete_ends = "DELETE_COMPLETE"
        self.rollback_ends = "UPDATE_ROLLBACK_COMPLETE"
        self.outputs = outputs or {
            "SiteUrlOutput": "https://d111.cloudfront.net",
            "StaticSiteBucketName": "site-bucket",
            "DistributionId": "E1",
            "CognitoDomainUrl": "https://careline-dev-1.auth.x",
            "CognitoClientId": "client-1",
            "EndpointURL": "https://api.example/api/",
        }
        if exists or status:
            self.stack = self._stack(status or "UPDATE_COMPLETE", artifact)
        self.change_sets = {}

    def _stack(self, status, artifact):
        return {
            "StackId": "arn:aws:cloudformation:eu-central-1:1:stack/careline-dev/1",
            "StackStatus": status,
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
            "Tags": [{"Key": deploy.ARTIFACT_TAG, "Value": artifact}] if artifact else [],
        }

    def describe_stacks(self, StackName):
        if self.statuses:
            self.stack["StackStatus"] = self.statuses.pop(0)
        if self.stack is None or (self.stack["StackStatus"] == "DELETE_COMPLETE" and not StackName.startswith("arn:")):
            raise RuntimeError(f"Stack with id {StackName} does not exist")
        return {"Stacks": [dict(self.stack)]}

    def create_change_set(self, **kwargs):
        self.calls.append(("create_change_set", kwargs))
        self.change_sets[kwargs["ChangeSetName"]] = kwargs

    def describe_change_set(self, StackName, ChangeSetName):
        return {"Status": "CREATE_COMPLETE", "Changes": [{}], "StackId": self._stack("", None)["StackId"]}

    def execute_change_set(self, StackName, ChangeSetName, **kwargs):
        change_set = self.change_sets[ChangeSetName]
        self.calls.append(("execute_change_set", change_set["TemplateURL"]))
        artifact = change_set["TemplateURL"]
        update = change_set["ChangeSetType"] == "UPDATE"
        if self.fail_execution:
            self.stack = self._stack("UPDATE_ROLLBACK_COMPLETE" if update else "ROLLBACK_COMPLETE", artifact)
        else:
            self.stack = self._stack("UPDATE_COMPLETE" if update else "CREATE_COMPLETE", artifact)

    def delete_stack(self, StackName):
        self.calls.append(("delete_stack", StackName))
        self.stack["StackStatus"] = self.delete_ends

    def continue_update_rollback(self, StackName):
        self.calls.append(("continue_update_rollback", StackName))
        self.stack["StackStatus"] = self.rollback_ends

    def rollback_stack(self, StackName, **kwargs):
        self.calls.append(("rollback_stack", kwargs))
        self.stack["StackStatus"] = "UPDATE_ROLLBACK_COMPLETE"

    def describe_stack_events(self, StackName):
        return {
            "StackEvents": [
                {
                    "LogicalResourceId": "UserPool",
                    "ResourceStatus": "CREATE_FAILED",
                    "ResourceStatusReason": "Domain already exists",
                }
            ]
        }

    def names(self):
        return [call[0] for call in self.calls]


class Buckets:
    """S3 as deploy.py uses it: objects by bucket and key, every call recorded."""

    def __init__(self):
        self.objects = {}
        self.calls = []
        self.clock = 0

    def _store(self, bucket, key, body, **meta):
        self.clock += 1
        self.objects[(bucket, key)] = {"Body": body, "LastModified": self.clock, **meta}

    def upload_file(self, path, bucket, key):
        self.calls.append(("upload_file", (path, bucket, key), {}))
        self._store(bucket, key, b"zip")

    def put_object(self, Bucket, Key, Body, **meta):
        self.calls.append(("put_object", (), {"Bucket": Bucket, "Key": Key, "Body": Body, **meta}))
        self._store(Bucket, Key, Body, **meta)

    def copy_object(self, Bucket, Key, CopySource):
        self.calls.append(("copy_object", (), {"Bucket": Bucket, "Key": Key, "CopySource": CopySource}))
        source = self.objects[(CopySource["Bucket"], CopySource["Key"])]
        self._store(
            Bucket, Key, source["Body"], **{k: v for k, v in source.items() if k not in ("Body", "LastModified")}
        )

    def get_object(self, Bucket, Key):
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)]["Body"])}

    def list_objects_v2(self, Bucket, Prefix):
        found = [
            {"Key": key, "LastModified": item["LastModified"]}
            for (bucket, key), item in sorted(self.objects.items())
            if bucket == Bucket and key.startswith(Prefix)
        ]
        return {"Contents": found} if found else {}

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return type("Paginator", (), {"paginate": lambda _, **kw: [self.list_objects_v2(**kw)]})()

    def delete_objects(self, Bucket, Delete):
        self.calls.append(("delete_objects", (), {"Bucket": Bucket, "Delete": Delete}))
        for item in Delete["Objects"]:
            del self.objects[(Bucket, item["Key"])]

    def site(self, bucket="site-bucket"):
        return {key: item for (b, key), item in self.objects.items() if b == bucket}


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def deployer(tmp_path, stack, smoke_results=(True,), env=None, version="abc123", s3=None):
    results = list(smoke_results)

    def fake_package(stage, out):
        out.mkdir(parents=True, exist_ok=True)
        (out / "deployment.zip").write_bytes(b"zip")
        return {
            "Parameters": {name: {"Type": "String"} for name in ("SiteUrl", "AlertEmail", "SiteCertificateArn")},
            "Resources": {
                "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}},
                "Other": {"Type": "AWS::SQS::Queue", "Properties": {}},
            },
        }

    return deploy.Deployer(
        stage="dev",
        cloudformation=stack,
        s3=s3 or Buckets(),
        cloudfront=Recorder(),
        bucket="artifacts",
        region="eu-central-1",
        version=version,
        build_dir=tmp_path,
        package=fake_package,
        smoke=lambda url: results.pop(0),
        log=lambda line: None,
        env=env or {},
        poll_seconds=0,
    )


def test_a_new_stack_is_created_then_given_its_cloudfront_url_and_the_site_is_published(tmp_path):
    stack = Stack()
    d = deployer(tmp_path, stack)
    outputs = d.run()
    change_sets = [kwargs for name, kwargs in stack.calls if name == "create_change_set"]
    assert [c["ChangeSetType"] for c in change_sets] == ["CREATE", "UPDATE"]
    site = [{p["ParameterKey"]: p["ParameterValue"] for p in c["Parameters"]}["SiteUrl"] for c in change_sets]
    assert site == [deploy.PLACEHOLDER_SITE, "https://d111.cloudfront.net"]
    assert all(set(deploy.CAPABILITIES) <= set(c["Capabilities"]) for c in change_sets)
    url = "https://artifacts.s3.eu-central-1.amazonaws.com/dev/abc123/template.json"
    assert all(c["TemplateURL"] == url for c in change_sets)
    assert {"Key": deploy.ARTIFACT_TAG, "Value": url} in change_sets[0]["Tags"]
    # The package: the zip uploaded, the template pointing at it.
    uploads = {call[0]: call for call in d.s3.calls}
    assert uploads["upload_file"][1][1:] == ("artifacts", "dev/abc123/deployment.zip")
    put = next(kw for name, _, kw in d.s3.calls if name == "put_object" and kw["Bucket"] == "artifacts")
    template = json.loads(put["Body"])
    assert template["Resources"]["APIHandler"]["Properties"]["CodeUri"] == {
        "Bucket": "artifacts",
        "Key": "dev/abc123/deployment.zip",
    }
    # The site: every admin and widget file, config.js from the outputs, then an invalidation.
    site_keys = d.s3.site()
    assert {"admin/index.html", "admin/app.js", "admin/style.css", "widget/careline.js", "admin/config.js"} <= set(
        site_keys
    )
    assert site_keys["admin/index.html"]["ContentType"] == "text/html"
    assert site_keys["admin/index.html"]["Body"] == (build.ROOT / "admin" / "index.html").read_bytes()
    config = site_keys["admin/config.js"]["Body"].decode()
    assert '"apiBase": "/api"' in config and '"clientId": "client-1"' in config
    assert '"redirectUri": "https://d111.cloudfront.net/admin/index.html"' in config
    (invalidation,) = [kw for name, _, kw in d.cloudfront.calls if name == "create_invalidation"]
    assert invalidation["DistributionId"] == "E1"
    assert outputs["SiteUrlOutput"] == "https://d111.cloudfront.net"


def test_an_update_keeps_the_stacks_site_url(tmp_path):
    stack = Stack(exists=True, artifact="https://artifacts.s3.eu-central-1.amazonaws.com/dev/old111/template.json")
    deployer(tmp_path, stack, env={"ALERT_EMAIL": "oncall@shop.example"}).run()
    (change_set,) = [kwargs for name, kwargs in stack.calls if name == "create_change_set"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in change_set["Parameters"]}
    assert change_set["ChangeSetType"] == "UPDATE"
    assert parameters["SiteUrl"] == "https://d111.cloudfront.net"
    assert parameters["AlertEmail"] == "oncall@shop.example"


def test_a_failed_smoke_test_redeploys_the_previous_package_with_its_own_site_and_fails(tmp_path):
    stack, s3 = Stack(), Buckets()
    deployer(tmp_path, stack, version="old111", s3=s3).run()  # the version that worked
    old_page = s3.site()["admin/app.js"]["Body"]
    previous = "https://artifacts.s3.eu-central-1.amazonaws.com/dev/old111/template.json"
    d = deployer(tmp_path, stack, smoke_results=(False,), s3=s3)
    d.build = lambda: _new_package(d)  # the new version's admin page differs from the old one
    with pytest.raises(deploy.DeployError, match="old111 is deployed again"):
        d.run()
    executed = [url for name, url in stack.calls if name == "execute_change_set"][-2:]
    assert executed == ["https://artifacts.s3.eu-central-1.amazonaws.com/dev/abc123/template.json", previous]
    # The restored API is served with the admin page and widget of its own version, not the new ones.
    assert s3.site()["admin/app.js"]["Body"] == old_page != b"new admin page"
    assert s3.site()["admin/config.js"]["Body"].decode().startswith("window.CARELINE")


def _new_package(d):
    artifact = deploy.Deployer.build(d)
    d.s3.put_object(Bucket="artifacts", Key=f"{artifact.prefix}site/admin/app.js", Body=b"new admin page")
    return artifact


def test_a_failed_deploy_reports_why_and_publishes_nothing(tmp_path):
    stack = Stack(exists=True, fail_execution=True)
    d = deployer(tmp_path, stack)
    with pytest.raises(deploy.DeployError, match=r"UPDATE_ROLLBACK_COMPLETE.*UserPool: Domain already exists"):
        d.run()
    assert not [kw for name, _, kw in d.s3.calls if name == "put_object" and kw["Bucket"] == "site-bucket"]


def test_a_change_set_without_changes_is_not_an_error(tmp_path):
    stack = Stack(exists=True)
    stack.describe_change_set = lambda **kw: {
        "Status": "FAILED",
        "StatusReason": "The submitted information didn't contain changes.",
    }
    stack.delete_change_set = lambda **kw: stack.calls.append(("delete_change_set", kw))
    d = deployer(tmp_path, stack)
    d.run()
    assert stack.names() == ["create_change_set", "delete_change_set"]


def test_deploy_packages_only_with_the_lambda_runtimes_python():
    deploy.check_python(build.LAMBDA_PYTHON)
    with pytest.raises(deploy.DeployError, match=build.LAMBDA_RUNTIME):
        deploy.check_python((3, 11))


def test_make_deploy_needs_a_stage_and_the_artifact_bucket(monkeypatch):
    monkeypatch.delenv("ARTIFACT_BUCKET", raising=False)
    assert deploy.main([]) == 2 and deploy.main(["qa"]) == 2 and deploy.main(["dev"]) == 2


def test_config_js_is_what_the_admin_page_reads():
    text = deploy.config_js("dev", {"CognitoDomainUrl": "https://d.auth", "CognitoClientId": "c"}, "https://site")
    assert text.startswith("window.CARELINE = ") and text.endswith(";\n")
    config = json.loads(text.removeprefix("window.CARELINE = ").rstrip().rstrip(";"))
    assert config == {
        "apiBase": "/api",
        "stage": "dev",
        "categories": build.stage_document("dev")["categories"],
        "cognito": {"domain": "https://d.auth", "clientId": "c", "redirectUri": "https://site/admin/index.html"},
    }


# Every state CloudFormation can leave the stack in (AWS CloudFormation User
# Guide, "Stack status codes"), and what the next deploy does with it.


def change_set_types(stack):
    return [kwargs["ChangeSetType"] for name, kwargs in stack.calls if name == "create_change_set"]


def test_a_stack_whose_first_change_set_failed_is_created_again_as_the_aws_cli_does(tmp_path):
    stack = Stack(status="REVIEW_IN_PROGRESS")  # UPDATE would be rejected: the stack was never created
    deployer(tmp_path, stack).run()
    assert change_set_types(stack) == ["CREATE", "UPDATE"]  # the second pass hands it its CloudFront URL
    assert "delete_stack" not in stack.names()


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"])
def test_a_failed_creation_is_deleted_then_created_again(tmp_path, status):
    stack = Stack(status=status, artifact="https://artifacts.s3.eu-central-1.amazonaws.com/dev/bad000/template.json")
    d = deployer(tmp_path, stack, smoke_results=(False,))
    with pytest.raises(deploy.DeployError, match="no previous package"):  # the failed package is no rollback target
        d.run()
    assert stack.names()[:2] == ["delete_stack", "create_change_set"]
    assert change_set_types(stack)[0] == "CREATE"


def test_a_failed_creation_that_cannot_be_deleted_stops_with_what_to_do(tmp_path):
    stack = Stack(status="ROLLBACK_FAILED")
    stack.delete_ends = "DELETE_FAILED"
    with pytest.raises(deploy.DeployError, match=r"DELETE_FAILED: UserPool: Domain already exists.*delete-stack"):
        deployer(tmp_path, stack).run()
    assert "create_change_set" not in stack.names()


def test_a_failed_rollback_of_an_update_is_continued_once_then_updated(tmp_path):
    stack = Stack(status="UPDATE_ROLLBACK_FAILED")
    deployer(tmp_path, stack).run()
    assert stack.names()[:2] == ["continue_update_rollback", "create_change_set"]
    assert change_set_types(stack) == ["UPDATE"]


def test_a_rollback_that_fails_again_is_left_to_a_person_with_the_command(tmp_path):
    stack = Stack(status="UPDATE_ROLLBACK_FAILED")
    stack.rollback_ends = "UPDATE_ROLLBACK_FAILED"
    with pytest.raises(
        deploy.DeployError, match=r"continue-update-rollback --stack-name careline-dev.*resources-to-skip"
    ):
        deployer(tmp_path, stack).run()
    assert stack.names() == ["continue_update_rollback"]  # once: skipping resources is a person's call


def test_an_update_made_without_rollback_is_rolled_back_before_the_next(tmp_path):
    stack = Stack(status="UPDATE_FAILED")
    deployer(tmp_path, stack).run()
    assert stack.names()[:2] == ["rollback_stack", "create_change_set"]


def test_a_stack_that_failed_to_delete_is_never_touched(tmp_path):
    stack = Stack(status="DELETE_FAILED")
    with pytest.raises(deploy.DeployError, match=r"DELETE_FAILED.*may hold data.*retain-resources"):
        deployer(tmp_path, stack).run()
    assert stack.names() == []


def test_a_deploy_waits_for_another_deploy_holding_the_stack(tmp_path):
    stack = Stack(status="UPDATE_IN_PROGRESS")
    stack.statuses = [
        "UPDATE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    deployer(tmp_path, stack).run()
    assert change_set_types(stack) == ["UPDATE"]


def test_a_deploy_gives_up_on_a_stack_held_too_long(tmp_path):
    stack = Stack(status="UPDATE_IN_PROGRESS")
    d = deployer(tmp_path, stack)
    ticks = iter(range(0, 10_000, 600))
    d.clock = lambda: next(ticks)
    with pytest.raises(deploy.DeployError, match="stayed UPDATE_IN_PROGRESS for 45 minutes: another operation"):
        d.run()
    assert stack.names() == []


def test_a_new_stack_takes_over_what_its_predecessor_retained(tmp_path):
    stack = Stack()
    deployer(tmp_path, stack).run()
    change_sets = [kwargs for name, kwargs in stack.calls if name == "create_change_set"]
    assert [c.get("ImportExistingResources") for c in change_sets] == [True, None]  # CREATE imports, UPDATE not


def test_old_packages_are_deleted_but_never_the_deployed_or_the_previous_one(tmp_path):
    stack, s3 = Stack(), Buckets()
    for n in range(8):
        deployer(tmp_path, stack, version=f"v{n}", s3=s3).run()
    folders = {key.split("/")[1] for bucket, key in s3.objects if bucket == "artifacts"}
    assert folders == {f"v{n}" for n in range(8 - deploy.KEEP_PACKAGES, 8)}
    # A stack still running an old package keeps it, whatever its age.
    stack.stack["Tags"] = [
        {"Key": deploy.ARTIFACT_TAG, "Value": "https://artifacts.s3.eu-central-1.amazonaws.com/dev/v3/template.json"}
    ]
    deployer(tmp_path, stack, version="v8", s3=s3).run()
    folders = {key.split("/")[1] for bucket, key in s3.objects if bucket == "artifacts"}
    assert "v3" in folders and "v2" not in folders


class Certificates:
    """ACM in us-east-1: one page of issued certificates."""

    def __init__(self, *certificates):
        self.certificates = list(certificates)

    def get_paginator(self, name):
        assert name == "list_certificates"
        pages = [{"CertificateSummaryList": self.certificates}]
        return type("Paginator", (), {"paginate": lambda _, **kw: pages})()


def test_a_shops_own_domain_gets_the_certificate_that_covers_it(tmp_path):
    stack = Stack()
    d = deployer(tmp_path, stack, env={"SITE_URL": "https://help.shop.example"})
    d.acm = Certificates(
        {"CertificateArn": "arn:other", "DomainName": "shop.example"},
        {
            "CertificateArn": "arn:wild",
            "DomainName": "shop.example",
            "SubjectAlternativeNameSummaries": ["*.shop.example"],
        },
    )
    d.run()
    (change_set,) = [kwargs for name, kwargs in stack.calls if name == "create_change_set"]  # no second pass
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in change_set["Parameters"]}
    assert parameters["SiteUrl"] == "https://help.shop.example"
    assert parameters["SiteCertificateArn"] == "arn:wild"


def test_a_shops_own_domain_without_a_certificate_stops_with_the_command_to_get_one(tmp_path):
    d = deployer(tmp_path, Stack(), env={"SITE_URL": "https://help.shop.example"})
    d.acm = Certificates({"CertificateArn": "arn:deep", "DomainName": "*.eu.shop.example"})
    with pytest.raises(
        deploy.DeployError, match=r"request-certificate --region us-east-1 --domain-name help\.shop\.example"
    ):
        d.run()


def test_cloudfronts_own_domain_needs_no_certificate(tmp_path):
    stack = Stack()
    deployer(tmp_path, stack).run()  # no ACM client at all
    for name, kwargs in stack.calls:
        if name == "create_change_set":
            assert {p["ParameterKey"]: p["ParameterValue"] for p in kwargs["Parameters"]}["SiteCertificateArn"] == ""


@pytest.mark.parametrize(
    "name,host,covered",
    [
        ("shop.example", "shop.example", True),
        ("*.shop.example", "help.shop.example", True),
        ("*.shop.example", "a.help.shop.example", False),
        ("*.shop.example", "shop.example", False),
        ("Help.Shop.Example", "help.shop.example", True),
    ],
)
def test_a_certificate_covers_its_names_and_a_wildcard_one_label(name, host, covered):
    assert deploy.covers(name, host) is covered


def test_only_the_parameters_the_template_declares_are_passed(tmp_path):
    """A stage without alarms has no AlertEmail, and CloudFormation rejects an undeclared parameter."""
    stack = Stack()
    d = deployer(tmp_path, stack, env={"ALERT_EMAIL": "oncall@shop.example"})
    package = d.package
    d.package = lambda stage, out: package(stage, out) | {"Parameters": {"SiteUrl": {"Type": "String"}}}
    d.run()
    for name, kwargs in stack.calls:
        if name == "create_change_set":
            assert [p["ParameterKey"] for p in kwargs["Parameters"]] == ["SiteUrl"]
