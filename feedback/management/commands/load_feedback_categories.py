from feedback.services import categories_load
from govportal.reference_data import LoadCommand


class Command(LoadCommand):
    help = "Load the 1022 report categories from feedback/data/categories.json (idempotent; needs load_units first)."
    loader = staticmethod(categories_load)
    noun = "Report categories"
