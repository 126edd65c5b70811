"""AWS adapters: the only code that talks to DynamoDB, SES and Scheduler."""
