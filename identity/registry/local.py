"""The local registry: RegistryPerson rows, seeded with a demo population.

Stands in for the national population database in development, tests and the
demo. Two queries per lookup: the person with their unit, then the rest of
their household.
"""

from identity.registry.base import CitizenRegistry, HouseholdMember, RegistryRecord
from identity.registry.models import HouseholdRelation, RegistryPerson

# Members are listed as a household register lists them: head first, then
# spouse, parents, children, siblings, others; oldest first within each.
_RELATION_ORDER = {
    HouseholdRelation.HEAD: 0,
    HouseholdRelation.SPOUSE: 1,
    HouseholdRelation.PARENT: 2,
    HouseholdRelation.CHILD: 3,
    HouseholdRelation.SIBLING: 4,
    HouseholdRelation.OTHER: 5,
}


class LocalRegistry(CitizenRegistry):
    def lookup(self, personal_id: str) -> RegistryRecord | None:
        person = (
            RegistryPerson.objects.select_related("permanent_residence_unit").filter(personal_id=personal_id).first()
        )
        if person is None:
            return None
        others = (
            RegistryPerson.objects.filter(household_id=person.household_id)
            .exclude(pk=person.pk)
            .values_list("personal_id", "full_name", "relation_to_head", "birth_date")
        )
        members = sorted(
            (HouseholdMember(personal_id=p, full_name=n, relation=r, birth_date=b) for p, n, r, b in others),
            key=lambda m: (_RELATION_ORDER.get(m.relation, len(_RELATION_ORDER)), m.birth_date, m.personal_id),
        )
        return RegistryRecord(
            personal_id=person.personal_id,
            full_name=person.full_name,
            birth_date=person.birth_date,
            sex=person.sex,
            permanent_residence_unit_code=person.permanent_residence_unit.code,
            permanent_address=person.permanent_address,
            marital_status=person.marital_status,
            household_id=person.household_id,
            relation_to_head=person.relation_to_head,
            household_members=tuple(members),
        )
