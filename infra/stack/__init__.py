"""The deployed stack by concern, as plain data; infra/build.py assembles it.

Plain Python, not AWS CDK with Chalice's `chalice.cdk` construct: the template
is data that `chalice package --merge-template` merges into Chalice's, and
the tests read it as a dict in milliseconds. CDK would add Node.js, jsii and
aws-cdk-lib to every test run, a CDK bootstrap stack (its own bucket and
roles) beside ours, and synthesis to get back the same JSON.
"""
