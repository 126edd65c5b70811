"""Creates the local stage's AWS resources in the emulator from the same
definitions the app uses: the table models (with the tickets table's
stream), the sender identity, the scheduler group, the event bus, the
attachments bucket, the stream consumer's on-failure queue."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.adapters.aws import client
from chalicelib.adapters.tables import MODELS, PAY_PER_REQUEST, bind_tables
from chalicelib.config import Settings

DIRECTORY = Path(__file__).with_name("directory.json")


def provision(settings: Settings) -> None:
    bind_tables(settings.table_prefix)
    for model in MODELS.values():  # AWS stages get them from infra/, streams included
        if not model.exists():
            model.create_table(wait=True, billing_mode=PAY_PER_REQUEST)
    ses = client("sesv2")
    for identity in {settings.sender, settings.support_address}:
        ses.create_email_identity(EmailIdentity=identity)
    scheduler = client("scheduler")
    groups = {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}
    if settings.scheduler_group not in groups:
        scheduler.create_schedule_group(Name=settings.scheduler_group)
    events = client("events")
    if settings.event_bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=settings.event_bus)
    s3 = client("s3")  # versioned, as in AWS: erasure must remove every version
    if settings.attachments_bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=settings.attachments_bucket)
        s3.put_bucket_versioning(Bucket=settings.attachments_bucket, VersioningConfiguration={"Status": "Enabled"})
    if settings.change_failures_arn:  # where local/stream.py puts the batches it gives up on
        client("sqs").create_queue(QueueName=settings.change_failures_arn.rsplit(":", 1)[-1])


def seed(services) -> dict[str, int]:
    """The demo roster and macros (local/directory.json: operators kim, lou
    and sam), through the directory service, so a fresh `make run` assigns
    and answers from the start. Each list is put only while the directory has
    none of its kind: what operators changed since is never overwritten."""
    from chalicelib.adapters.tables import Directory
    from chalicelib.domain.ticket import SYSTEM

    demo = json.loads(DIRECTORY.read_text())
    put = {"agents": 0, "macros": 0}
    if not next(iter(Directory.query("agent", limit=1)), None):
        for agent in demo["agents"]:
            services.directory.set_agent(agent["email"], {"available": agent["available"], "name": agent["name"]})
            put["agents"] += 1
    if not next(iter(Directory.query("macro", limit=1)), None):
        for macro in demo["macros"]:
            services.directory.put_macro(macro["name"], {"title": macro["title"], "body": macro["body"]}, SYSTEM)
            put["macros"] += 1
    return put
