"""The API Chalice generates (RestAPI), merged with what it lacks: throttled,
traced, access-logged (JSON, with the request id the functions log too)."""

from __future__ import annotations

import json

from infra.stack.alarms import alarm, log_group, watched
from infra.stack.naming import names

STAGE = "api"  # API Gateway's stage (.chalice/config.json api_gateway_stage): /api behind CloudFront
API_RATE_LIMIT, API_BURST_LIMIT = 50, 100  # per second, per stage: far above a support desk's traffic
# X-Ray's default rule records the first request of every second: all of a
# shop's traffic, at $5 a million traces, about 40 a ticket's life. One in 20
# of the API's requests and of the functions' own invocations still shows
# where time goes; the logs keep every request id (bench/cost.py).
TRACE_SHARE = 0.05
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
    made = {
        "ApiAccessLogs": log_group(f"/aws/apigateway/{app}", stage),
        # The execution log (LoggingLevel ERROR) goes to a group API Gateway names
        # itself and would keep forever: made here, with the stage's retention.
        "ApiExecutionLogs": log_group({"Fn::Sub": f"API-Gateway-Execution-Logs_${{RestAPI}}/{STAGE}"}, stage),
        "RestAPI": {
            "Properties": {
                # API Gateway's metrics key on the API's name: without one SAM names it after
                # the OpenAPI title, "careline" in every stage, and the stages' metrics mix.
                "Name": app,
                # Any version stops SAM adding a second, unprotected stage named "Stage".
                "OpenApiVersion": "2.0",
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
    }
    made["TraceSampling"] = trace_sampling(app)
    if watched(stage):
        made["Api5xxAlarm"] = alarm(
            "The API answered 5xx", "AWS/ApiGateway", "5XXError", {"ApiName": app, "Stage": STAGE}, threshold=5
        )
    return made


def trace_sampling(app: str) -> dict:
    """The stage's sampling rule: API Gateway applies it to each request, and Lambda
    asks X-Ray for it where no caller decided (the stream, Scheduler, S3). Its
    services are the API (`<app>/api`) and the functions (`<app>`, `<app>-<name>`)."""
    return {
        "Type": "AWS::XRay::SamplingRule",
        "Properties": {
            "SamplingRule": {
                "RuleName": f"{app}-sampling"[:32],
                "Priority": 100,
                "FixedRate": TRACE_SHARE,
                "ReservoirSize": 0,
                "ServiceName": f"{app}*",
                "ServiceType": "*",
                "Host": "*",
                "HTTPMethod": "*",
                "URLPath": "*",
                "ResourceARN": "*",
                "Version": 1,
            }
        },
    }
