"""The deployed stack by concern, as plain data; infra/build.py assembles it.

Plain Python rather than AWS CDK with Chalice's `chalice.cdk` construct: that
construct runs `chalice package` at synthesis and includes its SAM output with
CfnInclude, so CDK would only reach this same JSON through Node.js, jsii and
aws-cdk-lib on every test run, and its assets need CDK's own bootstrap stack
(bucket, roles) beside ci.py's. Here the template is data that `chalice
package --merge-template` merges as it is, and the tests read it as dicts.
"""
