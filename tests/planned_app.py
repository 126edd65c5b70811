"""The Lambda functions of the new core (issue 9/14), with the decorators
app.py will use, so the templates and policies for them are packaged and
linted before they exist. Handlers do nothing: only the shape counts."""
from chalice import Chalice, Rate

app = Chalice(app_name="careline")


@app.route("/health")
def health():
    return {"status": "ok"}


# Chalice needs a literal ARN at import time; the merge template replaces it
# with the tickets table's StreamArn.
@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/careline-tickets/stream/2026-01-01T00:00:00.000",
                        name="on_change", batch_size=100)
def on_change(event):
    return {"batchItemFailures": []}


@app.lambda_function(name="on_schedule")
def on_schedule(event, context):
    return None


@app.lambda_function(name="on_inbound_email")
def on_inbound_email(event, context):
    return None


@app.schedule(Rate(1, unit=Rate.MINUTES), name="retry_mail")
def retry_mail(event):
    return None


@app.schedule(Rate(5, unit=Rate.MINUTES), name="reconcile")
def reconcile(event):
    return None


# A literal ARN, like the stream's: the merge template replaces it with the
# stage's webhook queue (a queue *name* would become an Fn::Sub, which a merge
# cannot replace, only add to).
@app.on_sqs_message(queue_arn="arn:aws:sqs:us-east-1:123456789012:careline-webhooks", name="deliver_webhooks",
                    batch_size=10)
def deliver_webhooks(event):
    return None


@app.lambda_function(name="on_mail_event")
def on_mail_event(event, context):
    return None
