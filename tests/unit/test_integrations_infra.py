"""A stage that connects the shop's store gets one secret for its third
parties' credentials, and only the API may read it; a stage that connects
none pays for no secret."""

from fnmatch import fnmatch

import pytest

from chalicelib.config import ConfigError, settings_from
from infra import build
from infra.stack import naming
from infra.stack.functions import app_functions, environment
from infra.stack.policies import policy

STORE = {"platform": "shopify", "url": "https://careline-demo.myshopify.com"}


@pytest.fixture
def connected(monkeypatch):
    """prod's settings with the shop's store connected."""
    plain = naming.stage_document

    def document(stage):
        return plain(stage) | ({"commerce": STORE} if stage == "prod" else {})

    monkeypatch.setattr(naming, "stage_document", document)
    return "prod"


def statements(stage, chalice_name):
    return {s["Sid"]: s for s in policy(stage, chalice_name)["Statement"]}


def test_a_stage_with_a_store_gets_one_secret_only_the_api_reads(connected):
    resources = build.template(connected)["Resources"]
    secret = resources["IntegrationsSecret"]
    assert secret["Properties"]["Name"] == "careline/prod/integrations"
    assert secret["Properties"]["SecretString"] == '{"commerce": {}}'  # the operator puts the credentials
    assert environment(connected)["CARELINE_INTEGRATIONS_SECRET_ARN"] == {"Ref": "IntegrationsSecret"}
    grant = statements(connected, "api_handler")["IntegrationsSecret"]
    assert grant["Action"] == "secretsmanager:GetSecretValue"
    assert fnmatch(
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:careline/prod/integrations-AbC123", grant["Resource"]
    )
    assert not fnmatch(
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:careline/prod/signing-secret-AbC123", grant["Resource"]
    )
    others = [
        name
        for name in app_functions()
        if name != "api_handler" and "IntegrationsSecret" in statements(connected, name)
    ]
    assert others == []


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_a_stage_without_a_store_has_no_such_secret(stage):
    assert "IntegrationsSecret" not in build.template(stage)["Resources"]
    assert "CARELINE_INTEGRATIONS_SECRET_ARN" not in environment(stage)
    assert "IntegrationsSecret" not in statements(stage, "api_handler")


@pytest.mark.parametrize("url", ["http://shop.example", "/_dev/shop-api/shopify"])
def test_an_aws_stage_talks_to_its_store_over_https_only(url):
    document = naming.stage_document("prod") | {"commerce": {"platform": "woocommerce", "url": url}}
    env = {
        "CARELINE_PUBLIC_URL": "https://x.example/api",
        "CARELINE_SCHEDULER_TARGET_ARN": "arn:aws:lambda:us-east-1:1:function:f",
        "CARELINE_SCHEDULER_ROLE_ARN": "arn:aws:iam::1:role/r",
        "CARELINE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s",
        "CARELINE_ATTACHMENTS_BUCKET": "b",
    }
    with pytest.raises(ConfigError, match="commerce/url: must be an https:// URL"):
        settings_from("prod", document, env)
