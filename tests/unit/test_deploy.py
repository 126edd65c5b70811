"""`make deploy`'s steps with stubbed AWS clients (no AWS account here):
what it uploads, which change sets it makes, what the site gets, and what
happens when CloudFormation or the smoke test fails."""

import json

import pytest

from infra import build, deploy


class Stack:
    """CloudFormation as deploy.py sees it: change sets that execute into a stack."""

    def __init__(self, exists=False, fail_execution=False, outputs=None, artifact=None):
        self.stack = None
        self.calls = []
        self.fail_execution = fail_execution
        self.outputs = outputs or {
            "SiteUrlOutput": "https://d111.cloudfront.net",
            "StaticSiteBucketName": "site-bucket",
            "DistributionId": "E1",
            "CognitoDomainUrl": "https://careline-dev-1.auth.x",
            "CognitoClientId": "client-1",
            "EndpointURL": "https://api.example/api/",
        }
        if exists:
            self.stack = self._stack("UPDATE_COMPLETE", artifact)
        self.change_sets = {}

    def _stack(self, status, artifact):
        return {
            "StackStatus": status,
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
            "Tags": [{"Key": deploy.ARTIFACT_TAG, "Value": artifact}] if artifact else [],
        }

    def describe_stacks(self, StackName):
        if self.stack is None:
            raise RuntimeError(f"Stack with id {StackName} does not exist")
        return {"Stacks": [self.stack]}

    def create_change_set(self, **kwargs):
        self.calls.append(("create_change_set", kwargs))
        self.change_sets[kwargs["ChangeSetName"]] = kwargs

    def describe_change_set(self, StackName, ChangeSetName):
        return {"Status": "CREATE_COMPLETE", "Changes": [{}]}

    def execute_change_set(self, StackName, ChangeSetName):
        change_set = self.change_sets[ChangeSetName]
        self.calls.append(("execute_change_set", change_set["TemplateURL"]))
        artifact = change_set["TemplateURL"]
        if self.fail_execution:
            self.stack = self._stack("UPDATE_ROLLBACK_COMPLETE" if self.stack else "ROLLBACK_COMPLETE", artifact)
        else:
            self.stack = self._stack("UPDATE_COMPLETE" if self.stack else "CREATE_COMPLETE", artifact)

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


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def deployer(tmp_path, stack, smoke_results=(True,), env=None):
    results = list(smoke_results)

    def fake_package(stage, out):
        out.mkdir(parents=True)
        (out / "deployment.zip").write_bytes(b"zip")
        return {
            "Resources": {
                "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}},
                "Other": {"Type": "AWS::SQS::Queue", "Properties": {}},
            }
        }

    return deploy.Deployer(
        stage="dev",
        cloudformation=stack,
        s3=Recorder(),
        cloudfront=Recorder(),
        bucket="artifacts",
        region="eu-central-1",
        version="abc123",
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
    site_keys = {kw["Key"]: kw for name, _, kw in d.s3.calls if name == "put_object" and kw["Bucket"] == "site-bucket"}
    assert {"admin/index.html", "admin/app.js", "admin/style.css", "widget/careline.js", "admin/config.js"} <= set(
        site_keys
    )
    assert site_keys["admin/index.html"]["ContentType"] == "text/html"
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


def test_a_failed_smoke_test_redeploys_the_previous_package_and_fails(tmp_path):
    previous = "https://artifacts.s3.eu-central-1.amazonaws.com/dev/old111/template.json"
    stack = Stack(exists=True, artifact=previous)
    d = deployer(tmp_path, stack, smoke_results=(False,))
    with pytest.raises(deploy.DeployError, match="old111 is deployed again"):
        d.run()
    executed = [url for name, url in stack.calls if name == "execute_change_set"]
    assert executed == ["https://artifacts.s3.eu-central-1.amazonaws.com/dev/abc123/template.json", previous]
    configs = [kw for name, _, kw in d.s3.calls if name == "put_object" and kw["Key"] == "admin/config.js"]
    assert len(configs) == 2  # the site is published again for the restored stack


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
    assert [name for name, _ in stack.calls] == ["create_change_set", "delete_change_set"]


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
