"""Use cases: each orchestrates domain rules and adapters for one capability."""
