"""The DynamoDB store, one module per aggregate; each service is given only
the stores it uses (container.py):

- `tickets`: the one write of a change (`commit`) and every read of tickets,
  their threads and the indexes that list them;
- `items`: how a ticket and its thread entries become items and back, and
  the effects document each change's entry carries for the stream consumer;
- `deliveries`: the state of each email a change causes;
- `claims`: keys claimed once (references, Idempotency-Keys, marks) and
  rate windows;
- `schedules`: tickets whose timed action is due, and schedules to repair;
- `directory`: agents and macros;
- `customers`: contact data kept for next time, and mail that stopped;
- `postings`: the search index."""
