"""HTTP to other parties' servers (webhook endpoints, the shop's store):
no redirects followed (a call goes where the stage says, nowhere else) and
no proxy from the environment. Standard library only: nothing to load at
cold start."""

from __future__ import annotations

import urllib.request


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx itself is the answer: a failure


opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)
