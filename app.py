"""Careline's routes and event handlers. Each is a few lines: the work is in chalicelib/.

A request writes one transaction and answers; the `tickets` table's stream
(`on_change`) does the rest. Timed actions arrive through `on_schedule`,
customers' emails through `on_inbound_email`, SES's bounces and complaints
through `on_mail_event`; `deliver_webhooks` posts the published events.
The local stage's dev routes are added by its own server (local/), never here."""

import gc
import os

from chalice import Chalice, Rate

from chalicelib.api import feedback, inquiries, operators, status
from chalicelib.api.description import api_description as described
from chalicelib.api.errors import refuse_content_type
from chalicelib.api.http import preflight
from chalicelib.container import container
from chalicelib.log import bound

# What the imports built lives as long as the container: frozen, the garbage
# collector no longer scans it in every full collection (on a cold start the
# first request's full collection alone cost about 20 ms).
gc.freeze()

app = Chalice(app_name="careline")
# A status page's form carries files: API Gateway must pass its body as bytes.
app.api.binary_types.append("multipart/form-data")

FORM_TYPES = ["application/json", "application/x-www-form-urlencoded"]
# Chalice needs a literal stream ARN when it packages the app; the deploy
# template replaces it with the table's own (infra/build.py).
STREAM_ARN = os.environ.get(
    "CARELINE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/careline-tickets/stream/packaged"
)
# Likewise the webhook queue's: a literal the deploy template replaces with the
# stage's queue (a name would become an Fn::Sub, which a merge cannot replace).
WEBHOOK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:careline-webhooks"


@app.middleware("http")
def content_type(request, get_response):
    """A Content-Type a route does not take is answered from the one error table."""
    return refuse_content_type(request, app.routes) or get_response(request)


@app.route("/health")
def health():
    return {"status": "ok"}


@app.route("/openapi.json")
def api_description():
    """This stage's API description (OpenAPI 3.1)."""
    return described()


@app.route("/inquiries", methods=["POST"], content_types=FORM_TYPES)
def post_inquiry():
    return inquiries.post(app.current_request)


@app.route("/inquiries", methods=["OPTIONS"])
def inquiries_preflight():
    return preflight(app.current_request, container().settings, "POST, OPTIONS")


@app.route("/feedback/{token}")
def feedback_page(token):
    """The rating form behind the follow-up email's links; opening it records nothing."""
    return feedback.page(app.current_request, token)


@app.route("/feedback/{token}", methods=["POST"], content_types=FORM_TYPES)
def post_feedback(token):
    """Record or update the ticket's rating."""
    return feedback.record(app.current_request, token)


@app.route("/feedback/{token}", methods=["OPTIONS"])
def feedback_preflight(token):
    return preflight(app.current_request, container().settings, "GET, POST, OPTIONS")


@app.route("/status/{token}")
def status_page(token):
    """The customer's page for their request, behind the link in every email; opening it records nothing."""
    return status.page(app.current_request, token)


@app.route("/status/{token}", methods=["POST"], content_types=[*FORM_TYPES, "multipart/form-data"])
def post_status(token):
    """The customer writes (with files), or says the problem is solved."""
    return status.post(app.current_request, token)


@app.route("/status/{token}", methods=["OPTIONS"])
def status_preflight(token):
    return preflight(app.current_request, container().settings, "GET, POST, OPTIONS")


@app.route("/status/{token}/link", methods=["POST"], content_types=FORM_TYPES)
def status_link(token):
    """An expired link's owner asks for a fresh one: emailed to the request's own address."""
    return status.fresh_link(app.current_request, token)


@app.route("/status/{token}/files/{sha256}")
def status_file(token, sha256):
    """A file of the conversation: a redirect to a download link valid for minutes."""
    return status.download(app.current_request, token, sha256)


@app.route("/tickets")
def list_tickets():
    return operators.list_tickets(app.current_request)


@app.route("/tickets", methods=["POST"])
def open_ticket():
    """An operator writes to a customer first."""
    return operators.open_ticket(app.current_request)


@app.route("/tickets/{ticket_id}")
def get_ticket(ticket_id):
    return operators.get_ticket(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/orders")
def ticket_orders(ticket_id):
    """The customer's recent orders and the ticket's order, from the shop's store."""
    return operators.ticket_orders(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}", methods=["PATCH"])
def patch_ticket(ticket_id):
    return operators.patch_ticket(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/replies", methods=["POST"])
def reply(ticket_id):
    return operators.reply(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/notes", methods=["POST"])
def note(ticket_id):
    return operators.note(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/calls", methods=["POST"])
def log_call(ticket_id):
    return operators.log_call(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/preview", methods=["POST"])
def preview_reply(ticket_id):
    """The reply as the customer would get it: placeholders filled, nothing sent."""
    return operators.preview_reply(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/merge", methods=["POST"])
def merge(ticket_id):
    return operators.merge(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/split", methods=["POST"])
def split(ticket_id):
    return operators.split(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/presence", methods=["PUT"])
def presence(ticket_id):
    """Who else has the ticket open or is writing to it (the caller is, for a while)."""
    return operators.presence(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/presence", methods=["DELETE"])
def leave(ticket_id):
    return operators.leave(app.current_request, ticket_id)


@app.route("/me")
def me():
    return operators.me(app.current_request)


@app.route("/agents")
def list_agents():
    return operators.list_agents(app.current_request)


@app.route("/agents/{email}", methods=["PUT"])
def put_agent(email):
    return operators.put_agent(app.current_request, email)


@app.route("/agents/{email}", methods=["DELETE"])
def remove_agent(email):
    return operators.remove_agent(app.current_request, email)


@app.route("/macros")
def list_macros():
    return operators.list_macros(app.current_request)


@app.route("/macros/{name}", methods=["PUT"])
def put_macro(name):
    return operators.put_macro(app.current_request, name)


@app.route("/macros/{name}", methods=["DELETE"])
def delete_macro(name):
    return operators.delete_macro(app.current_request, name)


@app.route("/views")
def list_views():
    """The team's saved views and the operator's own, with their counts."""
    return operators.list_views(app.current_request)


@app.route("/views/{scope}/{name}", methods=["PUT"])
def put_view(scope, name):
    return operators.put_view(app.current_request, scope, name)


@app.route("/views/{scope}/{name}", methods=["DELETE"])
def delete_view(scope, name):
    return operators.delete_view(app.current_request, scope, name)


@app.route("/customers/{email}")
def get_customer(email):
    return operators.get_customer(app.current_request, email)


@app.route("/customers/{email}", methods=["PATCH"])
def patch_customer(email):
    return operators.patch_customer(app.current_request, email)


@app.route("/customers/{email}/export")
def export_customer(email):
    return operators.export_customer(app.current_request, email)


@app.route("/customers/{email}", methods=["DELETE"])
def erase_customer(email):
    return operators.erase_customer(app.current_request, email)


@app.route("/audit")
def audit_trail():
    """The audit trail (admins): exports, erasures, roster, role, macro and view changes, merges, spam marks."""
    return operators.audit_trail(app.current_request)


@app.route("/metrics")
def get_metrics():
    return operators.get_metrics(app.current_request)


# Files on tickets (docs/attachments.md)


@app.route("/tickets/{ticket_id}/uploads", methods=["POST"])
def upload(ticket_id):
    return operators.upload(app.current_request, ticket_id)


@app.route("/tickets/{ticket_id}/attachments/{sha256}")
def download(ticket_id, sha256):
    return operators.download(app.current_request, ticket_id, sha256)


@app.on_dynamodb_record(
    stream_arn=STREAM_ARN,
    name="on_change",
    batch_size=100,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=1,
)
def on_change(event):
    """Every change's effects: emails, schedules, assignment, events, counters."""
    with bound(function="on_change"):
        return container().consumer.handle(event.to_dict()["Records"])


@app.lambda_function(name="on_schedule")
def on_schedule(event, context):
    """EventBridge Scheduler's one-time schedules invoke this with their payload."""
    with bound(function="on_schedule", request_id=getattr(context, "aws_request_id", None)):
        return container().timers.fire(event)


@app.lambda_function(name="on_inbound_email")
def on_inbound_email(event, context):
    """SES receipt rule stores the mail in S3; the bucket's event brings it here."""
    from chalicelib.adapters.inbox import stored_messages

    with bound(function="on_inbound_email", request_id=getattr(context, "aws_request_id", None)):
        return [container().inbound.handle(raw) for raw in stored_messages(event)]


@app.schedule(Rate(1, unit=Rate.MINUTES), name="retry_mail")
def retry_mail(event):
    """Send again every email SES refused earlier, when its retry is due."""
    with bound(function="retry_mail"):
        container().delivery.retry_due()


@app.schedule(Rate(5, unit=Rate.MINUTES), name="reconcile")
def reconcile(event):
    """Act on timed actions whose schedule never fired; re-create missing schedules;
    redo the effects of changes the stream consumer could not finish."""
    with bound(function="reconcile"):
        try:
            container().timers.reconcile()
        finally:  # effects are redone even when a schedule repair fails
            container().recovery.run()


@app.on_sqs_message(queue_arn=WEBHOOK_QUEUE_ARN, name="deliver_webhooks", batch_size=10)
def deliver_webhooks(event):
    """Signed webhook deliveries of the events the stage's bus routes to the queue."""
    with bound(function="deliver_webhooks"):
        return container().webhooks.handle(event.to_dict()["Records"])


@app.lambda_function(name="on_mail_event")
def on_mail_event(event, context):
    """SES's bounces and complaints (through the configuration set's topic): the address is mailed no more."""
    with bound(function="on_mail_event", request_id=getattr(context, "aws_request_id", None)):
        return container().mail_events.handle(event)
