"""The local stage (`make run`, `make demo`, the tests): the AWS emulator and
what stands in for AWS around it, the dev routes and the local services.
Never deployed: Chalice packages app.py and chalicelib/ only, and neither imports this."""
