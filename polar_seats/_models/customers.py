"""Customers, as Polar's organization API describes them (``Customer``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from ._base import Model


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
    """A customer of the organization.

    ``type`` is ``"individual"`` or ``"team"`` (`CustomerType`),
    or a value Polar adds later; ``tax_id`` is ``[value, format]`` as Polar sends it.
    """

    id: str
    created_at: datetime
    organization_id: str
    email: str
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
