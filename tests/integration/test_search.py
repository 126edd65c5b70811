"""Search: GET /tickets?q= over the index the stream consumer keeps."""

from tests.calls import call


def test_search_finds_by_every_word_reference_email_and_name_newest_first(client, operator, new_ticket):
    parcel = new_ticket(message="My parcel never arrived in Hamburg", subject="Missing parcel")
    refund = new_ticket(name="Bo Berg", email="bo@example.com", message="Please refund my parcel, it was broken")
    new_ticket(name="Cy Dorn", email="cy@example.com", message="Question about sizes", subject="Sizes")
    agent = operator()

    def found(q, **filters):
        query = "&".join([f"q={q}"] + [f"{k}={v}" for k, v in filters.items()])
        response = call(client, "GET", f"/tickets?{query}", agent)
        assert response.status_code == 200, response.body
        return [t["reference"] for t in response.json_body["items"]]

    assert found("parcel") == [refund["reference"], parcel["reference"]]
    assert found("Parcel%20HAMBURG") == [parcel["reference"]]  # every word must match
    assert found("parcel%20sizes") == []
    assert found(parcel["reference"]) == [parcel["reference"]]
    assert found(parcel["reference"].removeprefix("CL-").lower()) == [parcel["reference"]]
    assert found("bo@example.com") == [refund["reference"]]
    assert found("berg") == [refund["reference"]]


def test_search_combines_with_filters_and_follows_changes(client, operator, new_ticket, settle, services):
    first = new_ticket(message="Broken zipper on my jacket")
    second = new_ticket(message="Broken zipper again", email="dee@example.com")
    agent = operator()
    call(client, "PATCH", f"/tickets/{first['id']}", agent, {"status": "pending", "tags": ["repair"]})
    settle()

    def ids(query):
        return [t["id"] for t in call(client, "GET", f"/tickets?{query}", agent).json_body["items"]]

    assert ids("q=zipper&status=pending") == [first["id"]]
    assert ids("q=zipper&tag=repair") == [first["id"]]
    assert ids("q=zipper&status=new") == [second["id"]]
    # What the customer writes later is searchable too; operators' replies are not.
    call(client, "POST", f"/tickets/{second['id']}/replies", agent, {"body": "We will send a replacement slider."})
    services.tickets.customer_wrote(second["id"], "The new slider fits, thanks")
    settle()
    assert ids("q=fits") == [second["id"]] and ids("q=replacement") == []


def test_search_pages_like_the_inbox(client, operator, new_ticket):
    made = [new_ticket(email=f"c{n}@example.com", message=f"Voucher question {n}")["id"] for n in range(5)]
    agent = operator()
    seen, cursor = [], None
    while True:
        page = call(
            client, "GET", "/tickets?q=voucher&limit=2" + (f"&cursor={cursor}" if cursor else ""), agent
        ).json_body
        seen += [t["id"] for t in page["items"]]
        assert page["read"]["index_entries"] <= 6
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made[::-1]
    other = call(client, "GET", f"/tickets?q=question&cursor={cursor or 'x'}", agent)
    assert other.status_code == 400 and other.json_body["errors"][0]["field"] == "cursor"


def test_an_erased_customer_is_no_longer_found_by_their_name_address_or_words(client, operator, new_ticket, settle):
    ticket = new_ticket(name="Eve Quist", email="eve@example.com", message="Parcel to Quistgasse 5")
    admin = operator("admin", "lead@shop.example")

    def search_for(q):
        return call(client, "GET", f"/tickets?q={q}", admin).json_body["items"]

    assert [t["id"] for t in search_for("quistgasse")] == [ticket["id"]]
    call(client, "DELETE", "/customers/eve@example.com", admin)
    settle()
    for q in ("quist", "eve@example.com", "quistgasse"):
        assert search_for(q) == [], q
    assert [t["id"] for t in search_for(ticket["reference"])] == [ticket["id"]]  # the reference is not personal


def test_a_query_of_only_common_words_is_refused_by_field(client, operator):
    response = call(client, "GET", "/tickets?q=the", operator())
    assert response.status_code == 400 and response.json_body["errors"][0]["field"] == "q"


def test_the_reindex_command_puts_tickets_written_before_the_index_into_it(client, operator, new_ticket, services):
    from chalicelib.adapters.tables import Posting
    from infra.reindex_search import reindex

    ticket = new_ticket(message="Old ticket about a velvet sofa")
    for item in list(Posting.scan()):  # as if the index had not existed yet
        item.delete()

    def search_for(q):
        return [t["id"] for t in call(client, "GET", f"/tickets?q={q}", operator()).json_body["items"]]

    assert search_for("velvet") == []
    assert reindex() == 1
    assert search_for("velvet") == [ticket["id"]]
