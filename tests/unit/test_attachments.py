"""Files on tickets, by the rules alone: a reply names each upload once, and at
most 20 of them."""


def test_a_reply_listing_too_many_or_repeated_attachments_is_told_the_limit():
    from chalicelib.domain.validation import problems

    keys = [f"01KB1X00000000000000000000/uploads/{n:032d}/page.pdf" for n in range(21)]
    for listed, message in ((keys, "must list at most 20 different items"), (keys[:2] * 2, "must not repeat an item")):
        assert [(e.field, e.message) for e in problems("reply", {"attachments": listed})] == [("attachments", message)]
