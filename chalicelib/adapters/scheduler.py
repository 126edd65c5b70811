"""EventBridge Scheduler one-time schedules: each fires the `on_schedule`
Lambda once, at an exact time, with a small JSON payload."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .aws import client


class SchedulerError(Exception):
    """Scheduler did not take the change; the reconciler repairs it later."""


def at_expression(moment: datetime) -> str:
    return f"at({moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


class Scheduler:
    def __init__(self, group: str, target_arn: str, role_arn: str, dead_letter_arn: str | None = None) -> None:
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dead_letter_arn = dead_letter_arn

    def put(self, name: str, at: datetime, payload: Mapping[str, Any]) -> None:
        """Create the schedule, or move it if it exists (idempotent by name)."""
        from botocore.exceptions import BotoCoreError, ClientError

        # UpdateSchedule resets every omitted field, so both calls send them all.
        spec: dict[str, Any] = dict(
            Name=name,
            GroupName=self._group,
            ScheduleExpression=at_expression(at),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": self._target_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(dict(payload), separators=(",", ":")),
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
            },
        )
        if self._dead_letter_arn:  # invocations that exhaust their retries land here, not nowhere
            spec["Target"]["DeadLetterConfig"] = {"Arn": self._dead_letter_arn}
        scheduler = client("scheduler")
        try:
            try:
                scheduler.create_schedule(**spec)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConflictException":
                    raise
                scheduler.update_schedule(**spec)
        except (ClientError, BotoCoreError) as error:
            raise SchedulerError(str(error)) from error

    def exists(self, name: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client("scheduler").get_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise SchedulerError(str(error)) from error
        except BotoCoreError as error:
            raise SchedulerError(str(error)) from error
        return True

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client("scheduler").delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise SchedulerError(str(error)) from error
        except BotoCoreError as error:
            raise SchedulerError(str(error)) from error
