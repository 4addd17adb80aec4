"""Customers, as Polar's organization API describes them: a union on ``type``."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from ._base import Model, become


class CustomerType(str, enum.Enum):
    """Polar's customer types; a plain ``str`` field holds any value, new ones too."""

    INDIVIDUAL = "individual"
    TEAM = "team"
    """A team customer has members, and sessions for it name one of them."""


class Address(Model, kw_only=True):
    """A billing address."""

    country: str
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None


class Customer(Model, kw_only=True):
    """A customer of the organization: an `IndividualCustomer` or a `TeamCustomer`, told
    apart by ``type``.

    Decoding a ``Customer`` gives the class its ``type`` names; a kind this version does not
    know (or no ``type``) stays a plain ``Customer`` with ``type`` as Polar sent it, so
    ``email`` may be ``None`` here. ``tax_id`` is ``[value, format]`` as Polar sends it.
    """

    id: str
    created_at: datetime
    organization_id: str
    email: str | None = None
    modified_at: datetime | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    external_id: str | None = None
    email_verified: bool = False
    type: str | None = None
    name: str | None = None
    billing_name: str | None = None
    billing_address: Address | None = None
    tax_id: list[str | None] | None = None
    locale: str | None = None
    default_payment_method_id: str | None = None
    deleted_at: datetime | None = None
    avatar_url: str | None = None

    def __post_init__(self) -> None:
        # msgspec's tagged unions cannot fall back on an unknown tag, nor keep the tag as a
        # field: every kind decodes as a Customer, then becomes the class its type names.
        kind = _KINDS.get(self.type) if isinstance(self.type, str) else None
        if kind is None:
            return
        if kind is IndividualCustomer and self.email is None:
            raise ValueError("an individual customer's `email` is null; Polar's always has one")
        become(self, kind)


class IndividualCustomer(Customer, kw_only=True):
    """A customer who is one person (``type == "individual"``): ``email`` is always set."""

    # Narrower than the base's, which every kind fills; pyright flags any narrowed field, and
    # a required one after defaults, which keyword-only Structs allow.
    type: str = CustomerType.INDIVIDUAL.value  # pyright: ignore[reportIncompatibleVariableOverride]
    email: str  # pyright: ignore[reportIncompatibleVariableOverride, reportGeneralTypeIssues]


class TeamCustomer(Customer, kw_only=True):
    """A team (``type == "team"``): its members have the email addresses, and with Polar's
    member model on, the team itself may have none (``email`` is ``None``)."""

    type: str = CustomerType.TEAM.value  # pyright: ignore[reportIncompatibleVariableOverride]


_KINDS: dict[str, type[Customer]] = {
    CustomerType.INDIVIDUAL.value: IndividualCustomer,
    CustomerType.TEAM.value: TeamCustomer,
}
