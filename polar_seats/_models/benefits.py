"""Benefits: the current kinds as a msgspec tagged union on ``type``, and unknown ones."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._base import Model, by_tag


class BenefitType(str, enum.Enum):
    """Known values of a benefit's ``type``, which tells the benefit variants apart."""

    CUSTOM = "custom"
    DISCORD = "discord"
    GITHUB_REPOSITORY = "github_repository"
    DOWNLOADABLES = "downloadables"
    LICENSE_KEYS = "license_keys"
    METER_CREDIT = "meter_credit"
    FEATURE_FLAG = "feature_flag"
    SLACK_SHARED_CHANNEL = "slack_shared_channel"


class BenefitMarker:
    """Base of every benefit class; msgspec hands fields of this type to the lax decode hook."""

    __slots__ = ()


class _Benefit(Model, BenefitMarker, kw_only=True, tag_field="type"):
    # A msgspec tagged union on ``type``, as the prices are on ``amount_type``.
    id: str
    created_at: datetime
    modified_at: datetime | None = None
    description: str
    selectable: bool
    deletable: bool
    is_deleted: bool
    organization_id: str

    @property
    def type(self) -> str:
        """The kind of benefit, which tells the benefit classes apart."""
        return self.__struct_config__.tag  # type: ignore[return-value]


class BenefitCustom(_Benefit, kw_only=True, tag=BenefitType.CUSTOM.value):
    """A custom benefit (``type == "custom"``)."""


class BenefitDiscord(_Benefit, kw_only=True, tag=BenefitType.DISCORD.value):
    """A Discord role benefit (``type == "discord"``)."""


class BenefitGitHubRepository(_Benefit, kw_only=True, tag=BenefitType.GITHUB_REPOSITORY.value):
    """A GitHub repository access benefit (``type == "github_repository"``)."""


class BenefitDownloadables(_Benefit, kw_only=True, tag=BenefitType.DOWNLOADABLES.value):
    """A file downloads benefit (``type == "downloadables"``)."""


class BenefitLicenseKeys(_Benefit, kw_only=True, tag=BenefitType.LICENSE_KEYS.value):
    """A license keys benefit (``type == "license_keys"``)."""


class BenefitFeatureFlag(_Benefit, kw_only=True, tag=BenefitType.FEATURE_FLAG.value):
    """A feature flag benefit (``type == "feature_flag"``)."""


class BenefitSlackSharedChannel(_Benefit, kw_only=True, tag=BenefitType.SLACK_SHARED_CHANNEL.value):
    """A shared Slack channel benefit (``type == "slack_shared_channel"``)."""


class BenefitMeterCreditProperties(Model, kw_only=True):
    """How many units of which meter a meter-credit benefit grants."""

    units: int
    meter_id: str


class BenefitMeterCredit(_Benefit, kw_only=True, tag=BenefitType.METER_CREDIT.value):
    """A meter credit benefit (``type == "meter_credit"``).

    ``properties`` is ``None`` when an older revision of the contract omits it.
    """

    properties: BenefitMeterCreditProperties | None = None


class UnknownBenefit(Model, BenefitMarker, kw_only=True):
    """A benefit of a kind this version of polar-seats does not know, with its fields in ``raw``."""

    id: str | None
    type: str | None
    raw: dict[str, Any]


# The kinds known today, in BenefitType's order: what the fast decoder reads; a page with an
# unknown kind goes to the lax decoder (``_lax.py``).
CurrentBenefit = (
    BenefitCustom
    | BenefitDiscord
    | BenefitGitHubRepository
    | BenefitDownloadables
    | BenefitLicenseKeys
    | BenefitMeterCredit
    | BenefitFeatureFlag
    | BenefitSlackSharedChannel
)
if TYPE_CHECKING:
    Benefit = CurrentBenefit | UnknownBenefit
    BenefitUnion = Benefit
else:
    # At run time ``Benefit`` is the marker base, for ``isinstance``.
    Benefit = BenefitMarker
    BenefitUnion = CurrentBenefit

BENEFIT_CLASSES: dict[str, type[_Benefit]] = by_tag(CurrentBenefit)
