"""Creates the local stage's AWS resources in the emulator from the same
definitions the app uses: the table models, the sender identity, the
scheduler group."""
from __future__ import annotations

from ..adapters.aws import client
from ..adapters.tables import bind_tables, create_tables
from ..config import Settings


def provision(settings: Settings) -> None:
    bind_tables(settings.table_prefix)
    create_tables()
    ses = client("sesv2")
    for identity in {settings.sender, settings.support_address}:
        ses.create_email_identity(EmailIdentity=identity)
    scheduler = client("scheduler")
    groups = {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}
    if settings.scheduler_group not in groups:
        scheduler.create_schedule_group(Name=settings.scheduler_group)
