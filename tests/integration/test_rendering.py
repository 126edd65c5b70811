"""Templates at a cold start: the API answers a script's JSON intake without
loading Jinja2 (or Babel); a browser's form post gets its page rendered from
the templates."""

import json
import subprocess
import sys

from bench.cold_start import STAGE_ENV
from tests.conftest import ROOT

PROGRAM = """
import json, sys
from moto import mock_aws

def post(body, content_type, accept):
    event = {"resource": "/inquiries", "path": "/inquiries", "httpMethod": "POST",
             "headers": {"Content-Type": content_type, "Accept": accept}, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
             "stageVariables": None, "body": body, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/inquiries", "httpMethod": "POST", "stage": "api",
                                "requestId": "r1", "identity": {"sourceIp": "203.0.113.7"}}}
    return app.app(event, None)

with mock_aws():
    from chalicelib.adapters.tables import MODELS, PAY_PER_REQUEST, bind_tables
    bind_tables("careline-prod-")
    for model in MODELS.values():
        model.create_table(wait=True, billing_mode=PAY_PER_REQUEST)
    import app
    form = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}
    answer = post(json.dumps(form), "application/json", "application/json")
    after_json = sorted(m for m in ("jinja2", "babel") if m in sys.modules)
    page = post("name=Ann+%3Cb%3ELee%3C%2Fb%3E&message=Hi", "application/x-www-form-urlencoded", "text/html")
    print(json.dumps({"json": answer["statusCode"], "loaded_by_json": after_json,
                      "page": page["statusCode"], "page_body": page["body"], "jinja2": "jinja2" in sys.modules}))
"""


def test_a_json_intake_loads_no_template_engine_and_a_form_post_renders_its_page():
    env = STAGE_ENV | {"PATH": "/usr/bin:/bin", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert result["json"] == 201 and result["loaded_by_json"] == []
    assert result["page"] == 400 and result["jinja2"]
    body = result["page_body"]
    assert 'value="Ann &lt;b&gt;Lee&lt;/b&gt;"' in body and "<b>Lee" not in body
    assert '<p class="error" id="f-email-error">' in body
