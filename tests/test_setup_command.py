"""`manage.py setup_portal`: the one way to set a portal up (make setup, docker compose, README).

On an empty database it leaves units, routing rules, the catalogue and the 1022 report categories, so the
first dossier filed is routed; a second run adds nothing and keeps admins'
edits; demo data only where DEMO_ENABLED is on.
"""

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from feedback.models import Category
from govportal.tiers.models import RoutingRule, Unit
from identity.registry.models import RegistryPerson
from procedures import services
from procedures.models import Procedure

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = json.loads((ROOT / "procedures" / "data" / "catalogue.json").read_text(encoding="utf-8"))
CATEGORIES = json.loads((ROOT / "feedback" / "data" / "categories.json").read_text(encoding="utf-8"))
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SAMPLE = {"date": "1990-05-20", "number": "1", "textarea": "Để nộp hồ sơ.", "text": "Nguyễn Văn An"}


def setup_portal(*args) -> str:
    out = StringIO()
    call_command("setup_portal", *args, stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "rules": RoutingRule.objects.count(),
        "procedures": Procedure.objects.count(),
        "categories": Category.objects.count(),
        "users": get_user_model().objects.count(),
        "registry": RegistryPerson.objects.count(),
    }


def file_and_submit(code: str, citizen, receiving_unit: Unit, django_capture_on_commit_callbacks):
    """File a catalogue procedure as a citizen would, committing so the routing task runs as on a real portal."""
    procedure = Procedure.objects.get(code=code)
    form_data = {field["name"]: SAMPLE[field["type"]] for field in procedure.form_fields}
    form_data["personal_id"] = citizen.personal_id
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_draft_create(
            procedure=procedure, applicant=citizen, receiving_unit=receiving_unit, eid_level=2
        )
        services.dossier_draft_update(dossier=dossier, actor=citizen, form_data=form_data)
        for document in procedure.documents.all():
            upload = SimpleUploadedFile(f"{document.key}.pdf", PDF, content_type="application/pdf")
            services.document_attach(dossier=dossier, actor=citizen, upload=upload, key=document.key)
        services.dossier_transition(dossier=dossier, action="submit", actor=citizen, eid_level=2)
    dossier.refresh_from_db()
    return dossier


def test_a_production_portal_is_set_up_so_the_first_dossier_is_routed(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DEMO_ENABLED = False
    settings.MEDIA_ROOT = tmp_path / "media"
    assert counts()["units"] == 0  # an empty database, as a fresh docker compose deployment has

    output = setup_portal()

    after = counts()
    assert after["units"] >= 168 + 1 + 10  # the city, its departments and the 168 commune-level units
    assert Unit.objects.filter(kind="ward").count() == 113
    assert after["rules"] > 0
    assert after["procedures"] == len(CATALOGUE["procedures"])
    assert after["categories"] == len(CATEGORIES["categories"]) > 0  # 1022 reports can be filed by category
    assert not Category.objects.filter(tier="city", handling_department=None).exists()
    assert after["users"] == 0 and after["registry"] == 0  # no demo accounts, no mock registry
    assert "DEMO_ENABLED is off" in output

    citizen = get_user_model().objects.create(
        username="079085001234",
        personal_id="079085001234",
        full_name="Nguyễn Văn An",
        residence_unit=Unit.objects.get(code="26743"),
    )
    ward = Unit.objects.get(code="26743")
    commune_tier = file_and_submit("2.000884", citizen, ward, django_capture_on_commit_callbacks)
    assert commune_tier.routed_at is not None and commune_tier.handling_unit == ward
    city_tier = file_and_submit("HCM-LY-LICH-TU-PHAP", citizen, ward, django_capture_on_commit_callbacks)
    assert city_tier.routed_at is not None
    assert city_tier.handling_unit == city_tier.procedure.handling_department  # forwarded by the ward


def test_a_second_run_adds_nothing_and_keeps_what_admins_edited(settings):
    settings.DEMO_ENABLED = False
    setup_portal()
    before = counts()
    procedure = Procedure.objects.get(code="2.000884")
    procedure.name_vi = "Chứng thực chữ ký (tên do quản trị sửa)"
    procedure.save()
    Category.objects.filter(code="tieng-on").update(time_limit_working_days=5)
    rule = RoutingRule.objects.order_by("priority").first()
    rule.is_active = not rule.is_active
    rule.save()

    setup_portal()

    assert counts() == before
    procedure.refresh_from_db()
    assert procedure.name_vi == "Chứng thực chữ ký (tên do quản trị sửa)"
    assert Category.objects.get(code="tieng-on").time_limit_working_days == 5
    rule_after = RoutingRule.objects.get(pk=rule.pk)
    assert rule_after.is_active == rule.is_active


def test_demo_data_only_where_demo_is_enabled(settings):
    settings.DEMO_ENABLED = True
    setup_portal()
    first = counts()
    User = get_user_model()
    assert User.objects.filter(username="officer.benthanh").exists()
    assert User.objects.filter(personal_id="079085001234").exists()
    assert first["registry"] >= 400

    setup_portal()
    assert counts() == first


def test_collectstatic_only_when_asked(settings, tmp_path):
    settings.DEMO_ENABLED = False
    settings.STATIC_ROOT = tmp_path / "static"
    setup_portal()
    assert not settings.STATIC_ROOT.exists()
    setup_portal("--collectstatic")
    assert (settings.STATIC_ROOT / "css").is_dir()


def test_make_docker_compose_and_the_readme_all_use_the_command():
    makefile = (ROOT / "Makefile").read_text()
    setup_recipe = makefile.split("\nsetup:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py setup_portal --collectstatic" in setup_recipe
    assert "load_units" not in setup_recipe and "seed_demo" not in setup_recipe
    compose = (ROOT / "docker-compose.yml").read_text()
    migrate_service = compose.split("\n  migrate:", 1)[1].split("\n\n", 1)[0]
    assert "command: python manage.py setup_portal" in migrate_service
    assert "manage.py setup_portal" in (ROOT / "README.md").read_text()


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_package_the_code_imports_is_declared_in_pyproject():
    """An install from pyproject.toml alone (the Docker image) must bring every import, not by luck of
    another package's dependencies (jwt, cryptography, kombu, redis, requests did)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    declared = {normalized(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}
    own = {"govportal", "identity", "procedures", "feedback", "payments", "tests", "bench", "manage"}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for folder in ("govportal", "identity", "procedures", "feedback", "payments", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in own or top in sys.stdlib_module_names or top == "__future__":
                        continue
                    names = {normalized(d) for d in distributions.get(top, [top])}
                    if not names & declared:
                        undeclared.setdefault(top, str(path.relative_to(ROOT)))
    assert undeclared == {}
