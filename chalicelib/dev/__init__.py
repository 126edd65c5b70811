"""The local stage only: dev mailbox, dev clock, dev tokens and the local
scheduler that stands in for EventBridge Scheduler. Never deployed."""
