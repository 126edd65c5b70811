"""`make deploy STAGE=<stage>`: the one way a stage is deployed, by CI and by hand.

1. package: `chalice package` with the stage's merge template; the zip goes
   to the artifact bucket and the template names it there;
2. bring the stack `careline-<stage>` to a state a change set can start
   from (`Deployer.ready_stack`: every state CloudFormation can leave it in),
   then deploy through a change set (CloudFormation rolls a failed change
   back by itself, deleting what the failed operation created); a new
   stack's first pass learns its CloudFront URL, and a second pass hands it
   to the functions and Cognito;
3. publish the site: the package's own copy of admin/ and widget/ and an
   admin config.js made from the stack's outputs, then invalidate CloudFront;
4. smoke-test the site (infra/smoke.py); if that fails, redeploy the
   previous package and republish *its* site, then fail. Packages older than
   the last few deployments are deleted (the artifact bucket never expires a
   current object: a rollback needs the old code).

Environment: ARTIFACT_BUCKET (the bootstrap stack's output), optional
ALERT_EMAIL and SITE_URL (the shop's own domain instead of CloudFront's: the
deploy finds the issued ACM certificate in us-east-1 that covers it).
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from infra import build, smoke

ROOT = build.ROOT
PLACEHOLDER_SITE = "https://pending.invalid"  # a new stack's SiteUrl until CloudFront has a name
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
ARTIFACT_TAG = "careline:artifact"
SITE_FOLDERS = ("admin", "widget")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
KEEP_PACKAGES = 5  # the newest deployments' packages per stage, besides the deployed and the previous one
# CloudFormation's stack states that need something done before a change set
# (AWS CloudFormation User Guide, "Stack status codes"; the AWS CLI's deploy
# treats REVIEW_IN_PROGRESS as no stack).
NO_STACK = ("REVIEW_IN_PROGRESS",)  # a first change set failed: nothing was created
NEVER_CREATED = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED")  # only a delete is allowed
SERVING = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")  # runs a package that deployed
WAIT_FOR_OTHERS_SECONDS = 45 * 60  # another deploy holding the stack (the workflow's timeout is 60 minutes)


class DeployError(Exception):
    pass


def check_python(version=None) -> None:
    """Chalice packages for the running Python (runtime and wheels)."""
    version = tuple((version or sys.version_info)[:2])
    if version != build.LAMBDA_PYTHON:
        raise DeployError(
            f"package with Python {'.'.join(map(str, build.LAMBDA_PYTHON))} (the Lambda runtime "
            f"{build.LAMBDA_RUNTIME}); this is Python {'.'.join(map(str, version))}"
        )


def package(stage: str, out: Path, project: Path = ROOT) -> dict:
    """`chalice package` as the deploy runs it; the SAM template it wrote."""
    if out.exists():
        shutil.rmtree(out)
    chalice = Path(sys.executable).parent / "chalice"
    done = subprocess.run(
        [
            str(chalice),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(ROOT / "infra" / "generated" / f"{stage}.json"),
            str(out),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise DeployError(f"chalice package failed: {done.stderr.strip()}")
    # Only a warning from Chalice, but the zip then lacks the dependencies.
    if "Could not install dependencies" in done.stdout + done.stderr:
        raise DeployError("chalice could not install the dependencies:\n" + done.stdout + done.stderr)
    ship_languages(out / "deployment.zip", shipped_languages())
    return json.loads((out / "sam.json").read_text())


LOCALE_DATA = "babel/locale-data/"


def shipped_languages() -> frozenset[str]:
    """The languages the app writes in (chalicelib/views/locales): Babel's data ships for these only."""
    return frozenset(path.stem for path in (ROOT / "chalicelib" / "views" / "locales").glob("*.json"))


def ship_languages(zip_path: Path, languages: frozenset[str]) -> int:
    """Babel's data for every CLDR locale is about 1,100 files, a third of the package: rewrite the
    zip keeping `root` and the shipped languages with their regions (de, de_AT, en_GB and the en_001
    it inherits from). A region of another language then is unknown to Babel, which the app
    already handles (views/i18n.py _cldr). The number of files dropped."""

    def kept(name: str) -> bool:
        if not (name.startswith(LOCALE_DATA) and name.endswith(".dat")):
            return True
        locale = name.removeprefix(LOCALE_DATA).removesuffix(".dat")
        return locale == "root" or locale.split("_")[0] in languages

    pruned = zip_path.with_suffix(".pruned")
    dropped = 0
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(pruned, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if kept(info.filename):
                target.writestr(info, source.read(info), compress_type=info.compress_type)
            else:
                dropped += 1
    pruned.replace(zip_path)
    return dropped


def with_code_location(template: dict, bucket: str, key: str) -> dict:
    """The template with every function's code in the artifact bucket (what
    `aws cloudformation package` does, without needing the CLI)."""
    resources = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource = {**resource, "Properties": {**resource["Properties"], "CodeUri": {"Bucket": bucket, "Key": key}}}
        resources[name] = resource
    return {**template, "Resources": resources}


def config_js(stage: str, outputs: dict, site_url: str) -> str:
    """The admin page's configuration for a deployed stage: the API on the
    page's own origin (CloudFront's /api/* behaviour), Cognito's hosted UI."""
    config = {
        "apiBase": "/api",
        "stage": stage,
        "categories": build.stage_document(stage)["categories"],
        "cognito": {
            "domain": outputs["CognitoDomainUrl"],
            "clientId": outputs["CognitoClientId"],
            "redirectUri": f"{site_url}/admin/index.html",
        },
    }
    return f"window.CARELINE = {json.dumps(config, sort_keys=True)};\n"


def site_files(root: Path = ROOT) -> list[tuple[str, Path]]:
    """(key, path) of every file the site serves; config.js is generated."""
    files = []
    for folder in SITE_FOLDERS:
        for path in sorted((root / folder).iterdir()):
            if path.is_file() and path.suffix in (".html", ".js", ".css") and path.name != "config.js":
                files.append((f"{folder}/{path.name}", path))
    return files


@dataclass
class Artifact:
    template_url: str
    label: str

    @property
    def prefix(self) -> str:
        """`<stage>/<version>/`: the folder of the package in the artifact bucket."""
        return "/".join(self.template_url.split("/")[-3:-1]) + "/"


@dataclass
class Deployer:
    stage: str
    cloudformation: object
    s3: object
    cloudfront: object
    bucket: str
    region: str
    version: str
    build_dir: Path = ROOT / "build"
    package: Callable = package
    smoke: Callable[[str], bool] = smoke.run
    log: Callable[[str], None] = print
    env: dict = field(default_factory=lambda: dict(os.environ))
    poll_seconds: float = 5.0
    wait_for_others_seconds: float = WAIT_FOR_OTHERS_SECONDS
    clock: Callable[[], float] = time.monotonic
    acm: object = None  # ACM in us-east-1, where CloudFront takes certificates from (SITE_URL only)

    @property
    def stack(self) -> str:
        return build.names(self.stage)["stack"]

    # -- the stack as deployed
    def describe(self) -> dict | None:
        try:
            return self.cloudformation.describe_stacks(StackName=self.stack)["Stacks"][0]
        except Exception as error:  # botocore's ClientError: "Stack with id ... does not exist"
            if "does not exist" in str(error):
                return None
            raise

    @staticmethod
    def outputs_of(stack: dict) -> dict:
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def previous_artifact(self, stack: dict | None) -> Artifact | None:
        """The package the stack runs, if it ever ran one (a failed creation's tag names a failed package)."""
        if not stack or stack["StackStatus"] not in SERVING:
            return None
        tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
        url = tags.get(ARTIFACT_TAG)
        return Artifact(url, url.rsplit("/", 2)[-2]) if url else None

    # -- 1. package
    def build(self) -> Artifact:
        """The zip, the template naming it, and the site's files, under `<stage>/<version>/`."""
        out = self.build_dir / self.stage
        template = self.package(self.stage, out)
        prefix = f"{self.stage}/{self.version}"
        self.s3.upload_file(str(out / "deployment.zip"), self.bucket, f"{prefix}/deployment.zip")
        packaged = with_code_location(template, self.bucket, f"{prefix}/deployment.zip")
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{prefix}/template.json",
            Body=json.dumps(packaged).encode(),
            ContentType="application/json",
        )
        for key, path in site_files():  # a rollback republishes the site of the package it restores
            self.s3.put_object(
                Bucket=self.bucket,
                Key=f"{prefix}/site/{key}",
                Body=path.read_bytes(),
                ContentType=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                CacheControl="max-age=300",
            )
        url = f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{prefix}/template.json"
        self.log(f"packaged {self.stage} {self.version}: {url}")
        return Artifact(url, self.version)

    # -- 2. deploy
    def parameters(self, artifact: Artifact, site_url: str) -> list[dict]:
        """The values of the parameters the package's template declares (only prod's has AlertEmail)."""
        template = self.s3.get_object(Bucket=self.bucket, Key=f"{artifact.prefix}template.json")
        declared = json.loads(template["Body"].read()).get("Parameters", {})
        values = {
            "SiteUrl": lambda: site_url,
            "AlertEmail": lambda: self.env.get("ALERT_EMAIL", ""),
            "SiteCertificateArn": lambda: (
                self.site_certificate(self.env["SITE_URL"]) if self.env.get("SITE_URL") else ""
            ),
        }
        return [{"ParameterKey": k, "ParameterValue": values[k]()} for k in values if k in declared]

    def site_certificate(self, site_url: str) -> str:
        """The issued certificate that covers SITE_URL's host (CloudFront's Aliases need one)."""
        host = urlsplit(site_url).hostname or ""
        for page in self.acm.get_paginator("list_certificates").paginate(CertificateStatuses=["ISSUED"]):
            for certificate in page["CertificateSummaryList"]:
                names = certificate.get("SubjectAlternativeNameSummaries") or [certificate["DomainName"]]
                if any(covers(name, host) for name in names):
                    return certificate["CertificateArn"]
        raise DeployError(
            f"no issued ACM certificate in us-east-1 covers {host}: `aws acm request-certificate --region us-east-1 "
            f"--domain-name {host} --validation-method DNS`, publish the validation CNAME it names, then deploy again"
        )

    def ready_stack(self) -> dict | None:
        """The stack a change set can update, or None when a change set must
        create it; every other state is resolved here or refused with what to do."""
        deadline = self.clock() + self.wait_for_others_seconds
        while True:
            stack = self.describe()
            status = stack["StackStatus"] if stack else None
            if status is None or status in NO_STACK:
                return None
            if status in NEVER_CREATED:  # a failed creation: nothing in it ever served anyone
                self.log(f"{self.stack} is {status} (its creation failed); deleting it before creating it again")
                self.delete_stack(stack)
                return None
            if status == "UPDATE_ROLLBACK_FAILED":
                self.continue_rollback(stack)
                continue
            if status == "UPDATE_FAILED":  # an update made with rollback disabled: back to the last good state
                self.log(f"{self.stack} is UPDATE_FAILED; rolling it back")
                self.cloudformation.rollback_stack(StackName=self.stack, RetainExceptOnCreate=True)
                self.wait_for_stack(stack["StackId"])
                continue
            if status == "DELETE_FAILED":
                raise DeployError(
                    f"{self.stack} is DELETE_FAILED: "
                    + "; ".join(self.failure_reasons(stack["StackId"]))
                    + ". Its resources may hold data: delete or keep each of them, then run "
                    f"`aws cloudformation delete-stack --stack-name {self.stack}` (add --retain-resources "
                    "<logical ids> to keep those that failed) and deploy again"
                )
            if status.endswith("_IN_PROGRESS"):  # another deploy, or a person, holds the stack
                if self.clock() > deadline:
                    raise DeployError(
                        f"{self.stack} stayed {status} for {self.wait_for_others_seconds / 60:.0f} minutes: "
                        "another operation holds it; deploy again when it has finished"
                    )
                self.log(f"{self.stack} is {status}: waiting for the operation in progress to finish")
                time.sleep(self.poll_seconds)
                continue
            if status.endswith("_FAILED"):  # IMPORT_ROLLBACK_FAILED and any state added later
                raise DeployError(
                    f"{self.stack} is {status}: "
                    + "; ".join(self.failure_reasons(stack["StackId"]))
                    + ". Resolve it in the CloudFormation console, then deploy again"
                )
            return stack  # *_COMPLETE: CREATE, UPDATE, UPDATE_ROLLBACK, IMPORT, IMPORT_ROLLBACK

    def delete_stack(self, stack: dict) -> None:
        self.cloudformation.delete_stack(StackName=self.stack)
        gone = self.wait_for_stack(stack["StackId"])
        if gone["StackStatus"] != "DELETE_COMPLETE":
            raise DeployError(
                f"deleting {self.stack} ended {gone['StackStatus']}: "
                + "; ".join(self.failure_reasons(stack["StackId"]))
                + f". Delete those resources, then `aws cloudformation delete-stack --stack-name {self.stack}`"
                " and deploy again"
            )

    def continue_rollback(self, stack: dict) -> None:
        """UPDATE_ROLLBACK_FAILED: CloudFormation could not put a resource back
        as it was. Retrying the rollback skips nothing, so it is safe to do once;
        skipping a resource leaves it out of step with the template, which only
        a person can judge."""
        self.log(f"{self.stack} is UPDATE_ROLLBACK_FAILED; continuing the rollback once")
        reasons = self.failure_reasons(stack["StackId"])
        self.cloudformation.continue_update_rollback(StackName=self.stack)
        after = self.wait_for_stack(stack["StackId"])
        if after["StackStatus"] != "UPDATE_ROLLBACK_COMPLETE":
            raise DeployError(
                f"{self.stack} is {after['StackStatus']}: the rollback failed again: "
                + "; ".join(self.failure_reasons(stack["StackId"]) or reasons)
                + ". Fix the cause (often a resource changed or deleted by hand) and run "
                f"`aws cloudformation continue-update-rollback --stack-name {self.stack}`; only if a resource "
                "cannot be fixed, add --resources-to-skip <logical id> (it then differs from the template "
                "until the next deploy replaces it)"
            )

    def deploy(self, artifact: Artifact, site_url: str) -> bool:
        """Create and execute a change set; False when there was nothing to change."""
        existing = self.ready_stack()
        kind = "UPDATE" if existing else "CREATE"
        name = f"deploy-{artifact.label}-{int(time.time())}"
        self.cloudformation.create_change_set(
            StackName=self.stack,
            ChangeSetName=name,
            ChangeSetType=kind,
            TemplateURL=artifact.template_url,
            Parameters=self.parameters(artifact, site_url),
            Capabilities=CAPABILITIES,
            # A stack created again takes over what its predecessor retained
            # (tables and log groups: CloudFormation imports them by their fixed names).
            **({"ImportExistingResources": True} if kind == "CREATE" else {}),
            Tags=[
                {"Key": ARTIFACT_TAG, "Value": artifact.template_url},
                {"Key": "app", "Value": "careline"},
                {"Key": "stage", "Value": self.stage},
            ],
        )
        change_set = self.wait_for_change_set(name)
        if change_set["Status"] == "FAILED":
            reason = change_set.get("StatusReason", "")
            self.cloudformation.delete_change_set(StackName=self.stack, ChangeSetName=name)
            if any(text in reason for text in NO_CHANGES):
                self.log(f"{self.stack}: no changes")
                return False
            raise DeployError(f"change set {name} failed: {reason}")
        self.log(f"{self.stack}: executing {name} ({len(change_set.get('Changes', []))} changes)")
        # A rollback deletes what the failed operation created unless the
        # template says Retain (the inbound bucket: SES writes into it at once,
        # so no rollback could delete it); the rest is RetainExceptOnCreate.
        self.cloudformation.execute_change_set(StackName=self.stack, ChangeSetName=name)
        stack = self.wait_for_stack(change_set["StackId"])
        if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise DeployError(
                f"{self.stack} ended {stack['StackStatus']} (CloudFormation rolled it back): "
                + "; ".join(self.failure_reasons(change_set["StackId"]))
            )
        return True

    def wait_for_change_set(self, name: str) -> dict:
        while True:
            change_set = self.cloudformation.describe_change_set(StackName=self.stack, ChangeSetName=name)
            if change_set["Status"] in ("CREATE_COMPLETE", "FAILED"):
                return change_set
            time.sleep(self.poll_seconds)

    def wait_for_stack(self, stack_id: str) -> dict:
        """The stack once no operation is in progress (by id: a deleted stack stays readable by its id)."""
        while True:
            stack = self.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            time.sleep(self.poll_seconds)

    def failure_reasons(self, stack_id: str) -> list[str]:
        events = self.cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
        return [
            f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
            for e in events[:50]
            if e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceStatusReason")
        ][:5]

    # -- 3. publish the site
    def publish(self, artifact: Artifact, outputs: dict, site_url: str) -> None:
        """The package's own admin/ and widget/ (copied within S3), config.js from the stack's outputs."""
        bucket = outputs["StaticSiteBucketName"]
        source = f"{artifact.prefix}site/"
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=source).get("Contents", [])
        if not listed:
            raise DeployError(f"the package {artifact.label} has no copy of the site under {source}")
        for item in listed:
            self.s3.copy_object(
                Bucket=bucket,
                Key=item["Key"].removeprefix(source),
                CopySource={"Bucket": self.bucket, "Key": item["Key"]},
            )
        self.s3.put_object(
            Bucket=bucket,
            Key="admin/config.js",
            Body=config_js(self.stage, outputs, site_url).encode(),
            ContentType="text/javascript",
            CacheControl="no-cache",
        )
        self.cloudfront.create_invalidation(
            DistributionId=outputs["DistributionId"],
            InvalidationBatch={
                "Paths": {"Quantity": 2, "Items": ["/admin/*", "/widget/*"]},
                "CallerReference": f"{artifact.label}-{time.time()}",
            },
        )
        self.log(f"published admin/ and widget/ of {artifact.label} to {bucket}; invalidated CloudFront")

    # -- 4. what a rollback may need, and nothing older
    def prune(self, keep: list[Artifact]) -> None:
        """Delete the packages of all but the newest KEEP_PACKAGES deployments
        of the stage, never one in `keep` (the deployed and the previous)."""
        newest: dict[str, object] = {}
        keys: dict[str, list[str]] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.stage}/"):
            for item in page.get("Contents", []):
                folder = "/".join(item["Key"].split("/")[:2]) + "/"
                keys.setdefault(folder, []).append(item["Key"])
                newest[folder] = max(newest.get(folder, item["LastModified"]), item["LastModified"])
        kept = set(sorted(newest, key=newest.__getitem__, reverse=True)[:KEEP_PACKAGES])
        kept |= {artifact.prefix for artifact in keep}
        old = [key for folder, folder_keys in keys.items() if folder not in kept for key in folder_keys]
        for start in range(0, len(old), 1000):
            self.s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in old[start : start + 1000]]}
            )
        if old:
            self.log(f"deleted {len(old)} objects of {len(keys) - len(kept & set(keys))} old packages")

    # -- the whole deploy
    def run(self) -> dict:
        before = self.ready_stack()  # waits for, or resolves, whatever state the stack is in
        serving = before if before and before["StackStatus"] in SERVING else {}
        previous = self.previous_artifact(before)
        artifact = self.build()
        site_url = self.env.get("SITE_URL") or self.outputs_of(serving).get("SiteUrlOutput") or PLACEHOLDER_SITE
        self.deploy(artifact, site_url)
        outputs = self.outputs_of(self.describe())
        if site_url == PLACEHOLDER_SITE:  # a new stack: now CloudFront has a name
            site_url = outputs["SiteUrlOutput"]
            self.log(f"{self.stack}: second pass with SiteUrl={site_url}")
            self.deploy(artifact, site_url)
        self.publish(artifact, outputs, site_url)
        if not self.smoke(site_url):
            if previous is None:
                raise DeployError(f"the smoke test failed on {site_url}, and there is no previous package to restore")
            self.log(f"smoke test failed: redeploying the previous package {previous.label}")
            self.deploy(previous, site_url)
            self.publish(previous, self.outputs_of(self.describe()), site_url)
            raise DeployError(f"the smoke test failed on {site_url}; {previous.label} is deployed again")
        self.prune(keep=[artifact, *([previous] if previous else [])])
        self.log(f"Admin page   {site_url}/admin/index.html")
        self.log(f"API          {site_url}/api  (and {outputs.get('EndpointURL', '?')})")
        self.log(f"Widget       {site_url}/widget/careline.js")
        return outputs


def covers(name: str, host: str) -> bool:
    """Whether a certificate's name covers a host (a wildcard covers one label)."""
    name, host = name.lower(), host.lower()
    if name.startswith("*."):
        return host.count(".") > name.count(".") - 1 and host.split(".", 1)[1] == name[2:]
    return name == host


def git_version() -> str:
    done = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or time.strftime("%Y%m%d%H%M%S")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in build.AWS_STAGES:
        print(
            f"usage: python -m infra.deploy <{'|'.join(build.AWS_STAGES)}>   (make deploy STAGE=...)", file=sys.stderr
        )
        return 2
    bucket = os.environ.get("ARTIFACT_BUCKET")
    if not bucket:
        print("ARTIFACT_BUCKET is not set: the bootstrap stack's ArtifactBucketName output", file=sys.stderr)
        return 2
    try:
        check_python()
        import boto3

        session = boto3.session.Session()
        deployer = Deployer(
            stage=argv[0],
            cloudformation=session.client("cloudformation"),
            s3=session.client("s3"),
            cloudfront=session.client("cloudfront"),
            acm=session.client("acm", region_name="us-east-1"),
            bucket=bucket,
            region=session.region_name,
            version=git_version(),
        )
        deployer.run()
    except DeployError as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
