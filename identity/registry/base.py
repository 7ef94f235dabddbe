"""The contract between the portal and the citizen registry.

The portal reuses what the state already knows about a citizen (name, birth
date, permanent residence, household) instead of asking for paper copies. In a
real deployment that knowledge sits in the national population database
(CSDL quốc gia về dân cư), reached through the data-sharing platform with its
own credentials and agreements; here it sits in a local table seeded with a
demo population. Both sit behind ``CitizenRegistry``: the portal sees only
these frozen records, so swapping the local table for the national adapter is
a settings change (``CITIZEN_REGISTRY_BACKEND``), not a code change.

Portal code never calls a registry directly: it calls
``identity.registry.services.registry_lookup``, which logs every read.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class HouseholdMember:
    """Another person of the same household; ``relation`` is their relation to the head of household."""

    personal_id: str
    full_name: str
    relation: str
    birth_date: date


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry says about one citizen.

    Frozen (and with a tuple of members) so that a record read for one case
    cannot be edited and passed on as if the registry had said it.
    ``household_members`` lists the OTHER people of the household, never the
    citizen themself.
    """

    personal_id: str
    full_name: str
    birth_date: date
    sex: str  # "male" | "female"
    permanent_residence_unit_code: str  # national unit code, e.g. "26743"
    permanent_address: str
    marital_status: str  # "single" | "married" | "divorced" | "widowed"
    household_id: str
    relation_to_head: str  # "head" | "spouse" | "child" | "parent" | "sibling" | "other"
    household_members: tuple[HouseholdMember, ...] = ()


class CitizenRegistry(ABC):
    """A source of registry records: the local demo table or the national database adapter."""

    @abstractmethod
    def lookup(self, personal_id: str) -> RegistryRecord | None:
        """The record of the citizen with this 12-digit personal ID number, or None if there is none.

        Implementations must not log: ``registry_lookup`` does, once per read.
        They raise (rather than return None) when the registry cannot be
        reached, so that "not registered" never hides "not answered".
        """
