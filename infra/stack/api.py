"""The API Chalice generates (RestAPI), merged with what it lacks: throttled,
traced, access-logged (JSON, with the request id the functions log too)."""

from __future__ import annotations

import json

from infra.stack.alarms import alarm, log_group
from infra.stack.naming import names

API_RATE_LIMIT, API_BURST_LIMIT = 50, 100  # per second, per stage: far above a support desk's traffic
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "bytes": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}


def resources(stage: str) -> dict:
    app = names(stage)["app"]
    return {
        "ApiAccessLogs": log_group(f"/aws/apigateway/{app}", stage),
        "RestAPI": {
            "Properties": {
                "TracingEnabled": True,
                "MethodSettings": [
                    {
                        "HttpMethod": "*",
                        "ResourcePath": "/*",
                        "ThrottlingRateLimit": API_RATE_LIMIT,
                        "ThrottlingBurstLimit": API_BURST_LIMIT,
                        "MetricsEnabled": True,
                        "LoggingLevel": "ERROR",
                        "DataTraceEnabled": False,
                    }
                ],
                "AccessLogSetting": {
                    "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                    "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
                },
            }
        },
        "Api5xxAlarm": alarm(
            "The API answered 5xx", "AWS/ApiGateway", "5XXError", {"ApiName": app, "Stage": "api"}, threshold=5
        ),
    }
