"""The API description as the stages serve it: an AWS stage's package serves
the all-stages document, publicly and cacheably, and the documented examples
are what the app answers."""

import json
import subprocess
import sys
from urllib.parse import urlencode

from infra import openapi
from tests.openapi_documents import PUBLIC, validator


def test_an_aws_stage_serves_the_packaged_document_publicly_and_cacheably():
    """As app.py registers the route in stage prod, its package as `chalice package` builds it."""
    import zipfile

    from tests.integration import packaging

    with zipfile.ZipFile(packaging.packaged("prod") / "deployment.zip") as package:
        assert package.read("chalicelib/api/openapi.json").decode() == openapi.render(PUBLIC)
    script = (
        "import json; from chalice.test import Client; import app\n"
        "with Client(app.app, stage_name='prod') as client:\n"
        "    answer = client.http.get('/openapi.json')\n"
        "print(json.dumps({'status': answer.status_code, 'headers': dict(answer.headers), "
        "'body': answer.body.decode()}))"
    )
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "CARELINE_STAGE": "prod"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=packaging.project(), env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == 200
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Cache-Control"] == "public, max-age=3600"
    assert json.loads(answer["body"]) == PUBLIC
    assert not any(path.startswith("/_dev") for path in PUBLIC["paths"])


def test_examples_are_what_the_app_answers(client):
    json_type = {"Content-Type": "application/json"}
    created = client.http.post("/inquiries", headers=json_type, body=json.dumps(openapi.INQUIRY_EXAMPLE))
    assert created.status_code == 201 and not list(validator("inquiry-created").iter_errors(created.json_body))
    refused = client.http.post("/inquiries", headers=json_type, body=json.dumps(openapi.INVALID_INQUIRY))
    assert (refused.status_code, refused.json_body) == (400, openapi.INVALID_ANSWER)
    # The form's deepObject encoding: callback[phone] and callback[window].
    form = {k: v for k, v in openapi.INQUIRY_EXAMPLE.items() if k != "callback"}
    form |= {f"callback[{k}]": v for k, v in openapi.INQUIRY_EXAMPLE["callback"].items()}
    posted = client.http.post(
        "/inquiries", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=urlencode(form)
    )
    assert posted.status_code == 201, posted.body
