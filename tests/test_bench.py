"""`make bench`'s AWS-call count runs and stays within the intake budget
(the cold-start benchmark is too slow for the suite)."""
from bench import aws_calls


def test_an_intake_makes_at_most_four_counted_aws_calls():
    result = aws_calls.measure(intakes=2)

    assert isinstance(result["per_intake"], int) and 0 < result["per_intake"] <= aws_calls.GOAL
    # Counted, not assumed: the total is the sum of the operations seen.
    assert sum(result["breakdown"].values()) == result["per_intake"]
    assert "dynamodb:TransactWriteItems" in result["breakdown"]
