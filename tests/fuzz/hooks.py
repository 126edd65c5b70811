"""Schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS):
a fresh operator token from the stack's /_dev/token (fuzzing moves the dev
clock, which expires earlier tokens), a serializer for raw mail, and
generators for Careline's own string formats so valid cases get past
validation and reach the code behind it."""

from __future__ import annotations

import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st

from chalicelib.domain.text import is_line, is_text

BASE = os.environ["CARELINE_FUZZ_BASE"]


@schemathesis.auth(refresh_interval=5)
class OperatorToken:
    def get(self, case, context):
        request = urllib.request.Request(
            f"{BASE}/_dev/token",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"email": "fuzz@shop.example", "role": "admin"}).encode(),
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)["token"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.serializer("message/rfc822")
def raw_mail(context, value):
    return {"data": value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")}


schemathesis.openapi.format("line", st.text(max_size=200).filter(is_line))
schemathesis.openapi.format("text", st.text(min_size=1, max_size=2000).filter(is_text))
schemathesis.openapi.format(
    "iana-timezone", st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo"])
)
