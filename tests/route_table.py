"""The app's own route table as the authorization tests read it: the routes
public by the contract, the local stage's, and every other (an operator's)."""

from app import app

PUBLIC = {
    ("/health", "GET"),
    ("/openapi.json", "GET"),
    ("/inquiries", "POST"),
    ("/inquiries", "OPTIONS"),
    ("/feedback/{token}", "GET"),
    ("/feedback/{token}", "POST"),
    ("/feedback/{token}", "OPTIONS"),
    ("/status/{token}", "GET"),
    ("/status/{token}", "POST"),
    ("/status/{token}", "OPTIONS"),
    ("/status/{token}/link", "POST"),
    ("/status/{token}/files/{sha256}", "GET"),
}


def local_stage_only(entry) -> bool:
    """Dev routes (mailbox, clock, tokens, static pages) exist only in stage local."""
    return entry.view_function.__module__ == "local.routes"


def operator_routes():
    return sorted(
        (path, method)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if not local_stage_only(entry) and (path, method) not in PUBLIC
    )
