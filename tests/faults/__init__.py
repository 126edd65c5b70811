"""Faults as the app meets them: a fault-injecting proxy between the app and
the AWS emulator (`proxy.py`), and whole outage scenarios run through the
local stage (`scenarios.py`; `make faults` runs them all, `make test` the
fast subset in tests/integration/test_fault_scenarios.py)."""
