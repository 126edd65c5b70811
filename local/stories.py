"""The demo's people and what they write: names, items, the stories
customers tell and how agents answer them, and when customers write
(local/simulation.py plays them; bench/seed.py draws from them too)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.search import normalise

FIRST_NAMES = (
    "Ann",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Finn",
    "Greta",
    "Hamid",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marta",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Umut",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
)
LAST_NAMES = (
    "Lee",
    "Schmidt",
    "Novak",
    "Okafor",
    "Rossi",
    "Yılmaz",
    "Berg",
    "Fischer",
    "Haddad",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nguyen",
    "Petrov",
    "Silva",
    "Weber",
    "Müller",
    "Brandt",
)
ITEMS = (
    "the rain jacket",
    "two pairs of running socks",
    "the linen shirt",
    "a ceramic teapot",
    "the kids' backpack",
    "the wool scarf",
    "a phone case",
    "the desk lamp",
    "the hiking boots",
    "a set of espresso cups",
)


@dataclass(frozen=True)
class Story:
    category: str
    subject: str
    message: str
    answer: str
    again: str | None = None  # what the customer writes back, if they do
    closing: str = "Glad that is sorted. If anything else comes up, just reply to this email."
    tag: str | None = None
    offer: bool = False
    # When the first answer needs something from the customer first: the agent's question, the customer's reply.
    question: str = "Thank you for getting in touch. So I can look into it, could you tell me your order number?"
    details: str = "Sorry, here it is: the order number is on the confirmation I attached."
    # Where the order the customer writes about stands in the shop (local/shop.py); None: there is no such order.
    order: str | None = "delivered"


STORIES = (
    Story(
        "shipping",
        "Where is my parcel?",
        "Hi, I ordered {item} a week ago (order {order}) and the tracking has not moved since Tuesday. "
        "Can you check where it is?",
        "I checked with the carrier: your parcel was held at their depot after a scanning error and went out "
        "again this morning. You should have it within two days.",
        "Still nothing here, and the tracking says the same as before.",
        question="Could you check the address on the order for me? The carrier says it could not find the street.",
        details="The address is right, but the house number is 12b, not 12. Could that be it?",
        order="in_transit",
    ),
    Story(
        "shipping",
        "Parcel never arrived",
        "The tracking says delivered but the parcel never arrived. Nobody in the house has it and the neighbours "
        "have not seen it either. Order {order}.",
        "I am sorry, that is annoying. I have opened a claim with the carrier and sent a replacement today, so you "
        "do not have to wait for the claim.",
        tag="lost-parcel",
        offer=True,
        question=(
            "I am sorry. Before I open a claim with the carrier: could you check with your "
            "neighbours and in your letterbox once more?"
        ),
        details="I asked everyone on the street and checked again: it is not here.",
    ),
    Story(
        "returns",
        "Return of {item}",
        "Hello, {item} does not fit me. How can I send it back and get my money?",
        "Of course. I have attached a free return label; as soon as the parcel reaches us we refund you.",
        "Thanks. Do I need the original box?",
        question="Of course. Would you like your money back, or would you rather exchange it for another size?",
        details="My money back, please.",
    ),
    Story(
        "returns",
        "Exchange for a bigger size",
        "Could I exchange {item} for one size bigger? Order {order}.",
        "Yes, happily. I have reserved the bigger size for you; send the first one back with the label attached "
        "and we ship the new one as soon as it is on its way.",
        question="Happily. Which size would you like, and is the colour to stay the same?",
        details="One size up, L, same colour please.",
    ),
    Story(
        "billing",
        "Charged twice",
        "I was charged twice for order {order}. Please refund the second payment.",
        "You are right, the payment went through twice. I have refunded the second one today; it shows on your "
        "statement within 3 to 5 working days.",
        tag="refund",
        question=(
            "I am sorry about that. Could you send me the last four digits of the card, so I can find both payments?"
        ),
        details="It is the card ending in 4421.",
        order="shipped",
    ),
    Story(
        "billing",
        "Invoice with my company address",
        "Could you send me an invoice for order {order} with my company's address? I need it for my expenses.",
        "Here is your invoice with the company address attached. Let me know if anything on it should change.",
        question=(
            "Of course. Which company name and address should the invoice show, and do you need your VAT number on it?"
        ),
        details="Please use Berg & Partner GmbH, Hauptstrasse 5, 10115 Berlin, VAT number DE123456789.",
    ),
    Story(
        "product",
        "Question about {item}",
        "Is {item} machine washable? The label is hard to read.",
        "Yes: 30 degrees, gentle cycle, and let it dry flat. Please no tumble dryer.",
        question="Good question. Could you send me a photo of the label, so I can tell you for your exact model?",
        details="Here is the photo of the label.",
    ),
    Story(
        "product",
        "Arrived damaged",
        "{item} arrived damaged, the box was crushed and it is broken. What can I do?",
        "I am sorry it arrived like that. I have sent a replacement today; there is no need to send the broken one "
        "back.",
        "The replacement is here and it is perfect, thanks.",
        tag="damaged",
        offer=True,
        question=(
            "I am sorry it arrived like that. Could you send me a photo of the damage and of the box, for the carrier?"
        ),
        details="Photos attached: the corner is crushed and the item inside is cracked.",
    ),
    Story(
        "order",
        "Change my delivery address",
        "I just ordered {item} (order {order}) and noticed the old address. Can you change it before it ships?",
        "Done: I changed the address on your order before it left the warehouse.",
        question="I can still change it. What is the new address, with the postcode?",
        details="Gartenweg 3, 80331 Munich, please.",
        order="processing",
    ),
    Story(
        "order",
        "Discount code did not work",
        "The code from your newsletter was not accepted at checkout for order {order}.",
        "The code had expired a day early by mistake. I have refunded the difference to your card.",
        offer=True,
        question="Sorry about that. Which code did you try, and what did the checkout say?",
        details="It was SPRING15, and it said the code is not valid.",
        order="processing",
    ),
    Story(
        "complaint",
        "Very disappointed",
        "This is the second time my order arrives late and nobody answered my last email. I am very disappointed.",
        "I am sorry, you should have had an answer much sooner. Your order is on its way with express delivery "
        "at our cost.",
        "OK, thanks for sorting it out.",
        tag="escalated",
        offer=True,
        question=(
            "I am sorry, you should have had an answer long ago. Could you tell me which order "
            "arrived late the first time, so I can see what went wrong?"
        ),
        details="It was my order from March, the one with the blue jacket.",
        order="out_for_delivery",
    ),
    Story(
        "other",
        "Do you ship to Switzerland?",
        "Hi! Do you deliver to Switzerland, and how much does shipping cost?",
        "Yes, we do: shipping to Switzerland costs 14.90 and takes 3 to 5 working days; customs are included.",
        question="Yes, we do. Is it for a private address or a business one? The customs paperwork differs.",
        details="A private address in Zurich.",
        order=None,
    ),
)
COMMENTS = {
    5: ("Fast and friendly, thank you!", "Great service.", None, None),
    4: ("Quick answer.", None, None),
    3: ("Took a while, but sorted in the end.", None),
    2: ("Too slow, I had to ask twice.", None),
    1: ("Nobody answered for days.",),
}


def slug(name: str) -> str:
    return "".join(c for c in normalise(name) if "a" <= c <= "z")


def moment(rng: random.Random, begin: datetime, days: int) -> datetime:
    """A time customers write: mostly weekdays, mostly 7:00-22:00 UTC."""
    while True:
        at = begin + timedelta(days=rng.uniform(0, days))
        weekday_ok = at.weekday() < 5 or rng.random() < 0.4
        hour_ok = 7 <= at.hour < 22 or rng.random() < 0.15
        if weekday_ok and hour_ok:
            return at
