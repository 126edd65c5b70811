"""Creates the local stage's AWS resources in the emulator from the same
definitions the app uses: the table models (with the tickets table's
stream), the sender identity, the scheduler group, the event bus."""
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
    events = client("events")
    if settings.event_bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=settings.event_bus)
