"""Careline's routes and event handlers. Each is a few lines: the work is in chalicelib/."""
import os

from chalice import Chalice, Rate

from chalicelib.api import inquiries
from chalicelib.api.http import preflight
from chalicelib.container import container

app = Chalice(app_name="careline")

FORM_TYPES = ["application/json", "application/x-www-form-urlencoded"]


@app.route("/health")
def health():
    return {"status": "ok"}


@app.route("/inquiries", methods=["POST"], content_types=FORM_TYPES)
def post_inquiry():
    return inquiries.post(app.current_request)


@app.route("/inquiries", methods=["OPTIONS"])
def inquiries_preflight():
    return preflight(app.current_request, container().settings.cors_origins, "POST, OPTIONS")


@app.lambda_function(name="on_schedule")
def on_schedule(event, context):
    """EventBridge Scheduler's one-time schedules invoke this with their payload."""
    return container().sla.handle(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def retry_outbox(event):
    """Send every outgoing email SES has not yet accepted."""
    container().outbox.retry_due()


# The local stage's dev routes (mailbox, clock, tokens) are never deployed:
# they exist only when the process runs as stage `local`.
if os.environ.get("CARELINE_STAGE") == "local":
    from chalicelib.dev.routes import dev

    app.register_blueprint(dev)
