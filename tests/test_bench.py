"""`make bench`'s AWS-call count runs and holds the request path to one
call (the cold-start benchmark is too slow for the suite)."""
from bench import aws_calls


def test_an_intake_request_makes_one_aws_call_and_the_consumer_does_the_rest():
    result = aws_calls.measure(intakes=2, batch=3)

    assert result["request"] == aws_calls.GOAL == 1
    assert result["request_breakdown"] == {"dynamodb:TransactWriteItems": 1}
    # Counted, not assumed: the consumer sent the acknowledgement and armed the schedule.
    assert result["consumer_breakdown"]["sesv2:SendEmail"] == 1
    assert result["consumer_breakdown"]["scheduler:CreateSchedule"] == 1
    assert result["consumer"] == sum(result["consumer_breakdown"].values())
