"""Pure domain logic: no AWS, no I/O, testable without an emulator."""
