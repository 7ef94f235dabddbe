"""Dossiers API under /api/v1/dossiers/: filing, reading, the timeline and the workflow actions.

One APIView per operation (HackSoft style): it parses input, calls the
services or selectors of `procedures`, and renders an output serializer.
Where two operations share a URL (list and create) the URL binds a class that
only combines them. Visibility is the selectors' (`visible_dossiers`): a
dossier the caller may not see is 404, never 403, so codes cannot be probed.
Who may act is `services.dossier_transition`'s. Errors are `{code, detail}`
(govportal.api.exceptions) with a stable code.
"""

from django.contrib.auth import get_user_model
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from govportal.api.authentication import BearerTokenAuthentication
from govportal.api.filters import QuerySerializer
from govportal.api.keyset_pagination import KeysetPagination
from govportal.api.parsers import PortalFormParser, PortalJSONParser, PortalMultiPartParser
from govportal.tiers.models import Unit
from identity import access
from identity.eid.adapter import SESSION_LEVEL
from procedures import selectors, services, workflow
from procedures.api.serializers import (
    DocumentOutputSerializer,
    DossierDetailOutputSerializer,
    DossierListOutputSerializer,
    DraftOutputSerializer,
    ErrorOutputSerializer,
    EventOutputSerializer,
)
from procedures.models import DocumentRole, Procedure
from procedures.workflow import DossierStatus

TAGS = ["dossiers"]


def _errors(*codes: int) -> dict:
    descriptions = {
        400: "Invalid input (code `invalid`, `unknown_action`, `incomplete`, `receiving_unit_not_allowed`, "
        "file errors...).",
        401: "Not authenticated.",
        403: "Not allowed (code `forbidden`, `permission_denied`, `eid_level_too_low`).",
        404: "No such dossier, or not visible to the caller (code `not_found`).",
        409: "Not possible now (code `not_allowed`, `stale`, `not_editable`, `transfer_limit`).",
        413: "The request announces more than the upload limit (code `too_large`), refused before it is read.",
        429: "A limit is reached (code `rate_limited` for drafts, `upload_quota` for a day's uploads); "
        "see Retry-After.",
    }
    return {code: OpenApiResponse(ErrorOutputSerializer, description=descriptions[code]) for code in codes}


# --- who is asking -----------------------------------------------------------------


def staff_view(user, dossier) -> bool:
    """Staff of a unit that sees the dossier, or the city: they see officers' names (identity.access decides)."""
    return access.can(user, "case.view_as_staff", dossier)


def _require_citizen(user) -> None:
    """Filing is for citizens (an account from the e-ID), as on the pages."""
    if access.CITIZEN not in access.roles_of(user):
        raise exceptions.PermissionDenied(_("Only citizens logged in with their e-ID can file dossiers."))


def _eid_level(request) -> int | None:
    """The level of this login: the session's e-ID level, or the account's for a bearer token."""
    if isinstance(request.successful_authenticator, BearerTokenAuthentication):
        return request.user.eid_level
    session = getattr(request, "session", None)
    return session.get(SESSION_LEVEL) if session is not None else None


def _detail(request, dossier) -> dict:
    context = {
        "staff_view": staff_view(request.user, dossier),
        # The same list the pages offer: the service's own checks, nothing mirrored here.
        "available_actions": [rule.action for rule in services.actions_available(dossier=dossier, user=request.user)],
    }
    return DossierDetailOutputSerializer(dossier, context=context).data


def _draft(dossier) -> dict:
    dossier.missing = services.missing_for_submission(dossier)
    return DraftOutputSerializer(dossier).data


def _form_data_field():
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000),
        required=False,
        default=dict,
        help_text="Field name -> value, for the procedure's form fields (see the catalogue).",
    )


# --- the collection: list and create -----------------------------------------------


class DossierListApi(APIView):
    pagination_class = KeysetPagination

    @extend_schema_serializer(component_name="DossierListFilter")
    class FilterSerializer(QuerySerializer):
        status = serializers.ChoiceField(choices=DossierStatus.choices, required=False)
        procedure = serializers.CharField(required=False, help_text="Procedure code.")
        overdue = serializers.BooleanField(
            required=False,
            default=None,
            allow_null=True,
            help_text="true: only overdue dossiers; false: only the others (the one definition, docs/0006).",
        )

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_list",
        summary="Dossiers the caller may see",
        description="A citizen sees their own, an officer their units' (receiving or handling), a city admin all. "
        "Newest first, in pages that follow the `next` link (a cursor: no count, no page numbers).",
        parameters=[FilterSerializer],
        responses={200: DossierListOutputSerializer(many=True), **_errors(400, 401)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        now = timezone.now()

        def narrow(dossiers):
            if wanted.get("status"):
                dossiers = dossiers.filter(status=wanted["status"])
            if wanted.get("procedure"):
                dossiers = dossiers.filter(procedure__code=wanted["procedure"])
            if wanted.get("overdue") is not None:
                dossiers = dossiers.overdue(now) if wanted["overdue"] else dossiers.not_overdue(now)
            return dossiers

        paginator = self.pagination_class()
        page = paginator.paginate(
            request, lambda **cursor: selectors.visible_dossiers_page(user=request.user, filters=narrow, **cursor)
        )
        data = DossierListOutputSerializer(page, many=True).data  # no staff-only fields in the list
        return paginator.get_paginated_response(data)


class DossierCreateApi(APIView):
    @extend_schema_serializer(component_name="DossierCreateInput")
    class InputSerializer(serializers.Serializer):
        procedure = serializers.SlugRelatedField(
            slug_field="code", queryset=Procedure.objects.all(), help_text="Procedure code."
        )
        receiving_unit = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Unit.objects.all(),
            help_text="Code of the unit that receives the dossier: one of /api/v1/procedures/{code}/receiving-units/ "
            "(else 400 `receiving_unit_not_allowed`).",
        )
        form_data = _form_data_field()

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_create",
        summary="Start a draft",
        description="Creates a draft with the e-ID level of this login (the account's level for bearer tokens), "
        "saves the form data and fills the rest from the population registry. Then attach the documents and "
        "submit the draft by its uuid.",
        request=InputSerializer,
        responses={201: DraftOutputSerializer, **_errors(400, 401, 403, 429)},
    )
    def post(self, request):
        _require_citizen(request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        # The page's service too: one draft or none, form data checked by the form's rules.
        dossier = services.dossier_start(
            procedure=data["procedure"],
            applicant=user,
            receiving_unit=data["receiving_unit"],
            eid_level=_eid_level(request),
            form_data=data["form_data"],
        )
        return Response(_draft(selectors.dossier_draft_get(user=user, uuid=dossier.uuid)), status=201)


class DossierCollectionApi(DossierListApi, DossierCreateApi):
    """GET and POST on /dossiers/: each method is its own operation above."""


# --- drafts ------------------------------------------------------------------------


class DraftDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_draft_retrieve",
        summary="One of the caller's drafts",
        responses={200: DraftOutputSerializer, **_errors(401, 404)},
    )
    def get(self, request, uuid):
        return Response(_draft(selectors.dossier_draft_get(user=request.user, uuid=uuid)))


class DraftUpdateApi(APIView):
    @extend_schema_serializer(component_name="DraftUpdateInput")
    class InputSerializer(serializers.Serializer):
        form_data = _form_data_field()
        receiving_unit = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Unit.objects.all(),
            required=False,
            help_text="Unit code: one of /api/v1/procedures/{code}/receiving-units/.",
        )

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_draft_update",
        summary="Save more of a draft",
        description="Given fields replace the saved ones; others stay.",
        request=InputSerializer,
        responses={200: DraftOutputSerializer, **_errors(400, 401, 404, 409)},
    )
    def patch(self, request, uuid):
        dossier = selectors.dossier_draft_get(user=request.user, uuid=uuid)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.dossier_draft_update(
            dossier=dossier, actor=request.user, form_data=data["form_data"], receiving_unit=data.get("receiving_unit")
        )
        return Response(_draft(selectors.dossier_draft_get(user=request.user, uuid=uuid)))


class DraftApi(DraftDetailApi, DraftUpdateApi):
    """GET and PATCH on /dossiers/drafts/<uuid>/."""


class DraftDocumentCreateApi(APIView):
    parser_classes = [PortalMultiPartParser, PortalFormParser]

    @extend_schema_serializer(component_name="DraftDocumentInput")
    class InputSerializer(serializers.Serializer):
        key = serializers.CharField(max_length=60, help_text="The required document's key (see the catalogue).")
        file = serializers.FileField(allow_empty_file=True, help_text="PDF, JPEG or PNG, at most 10 MB.")

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_draft_documents_create",
        summary="Attach a document to a draft",
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentOutputSerializer, **_errors(400, 401, 404, 413, 429)},
    )
    def post(self, request, uuid):
        dossier = selectors.dossier_draft_get(user=request.user, uuid=uuid)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = serializer.validated_data["key"]
        document = services.document_attach(
            dossier=dossier, actor=request.user, upload=serializer.validated_data["file"], key=key
        )
        return Response(DocumentOutputSerializer(document).data, status=201)


class DraftDocumentDeleteApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_draft_documents_destroy",
        summary="Remove a document from a draft",
        description="Only drafts: once submitted, the dossier's documents are the record.",
        responses={204: None, **_errors(401, 404, 409)},
    )
    def delete(self, request, uuid, document_id):
        dossier = selectors.dossier_draft_get(user=request.user, uuid=uuid)
        services.document_remove(dossier=dossier, actor=request.user, document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DraftSubmitApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_draft_submit",
        summary="Submit a draft",
        description="Gives the dossier its code and routes it to the handling unit. An incomplete draft is refused "
        "with code `incomplete` and the list of what is `missing`; a stored answer the form's rules refuse, with "
        "code `invalid` and `errors.form_data`; a login below the procedure's e-ID level, with `eid_level_too_low`.",
        request=None,
        responses={200: DossierDetailOutputSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, uuid):
        dossier = selectors.dossier_draft_get(user=request.user, uuid=uuid)
        dossier = services.dossier_transition(
            dossier=dossier, action="submit", actor=request.user, eid_level=_eid_level(request)
        )
        return Response(_detail(request, dossier))


# --- one dossier -------------------------------------------------------------------


class DossierDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_retrieve",
        summary="One dossier by its code",
        responses={200: DossierDetailOutputSerializer, **_errors(401, 404)},
    )
    def get(self, request, code):
        return Response(_detail(request, selectors.dossier_get_for(user=request.user, code=code)))


class DossierEventListApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_events_list",
        summary="The dossier's timeline, oldest first",
        description="Citizens see that staff acted, not which officer; staff see names and event data.",
        responses={200: EventOutputSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, code):
        dossier = selectors.dossier_get_for(user=request.user, code=code)
        staff = staff_view(request.user, dossier)
        events = selectors.timeline(dossier=dossier, for_citizen=not staff)
        context = {"staff_view": staff}
        return Response(EventOutputSerializer(events, many=True, context=context).data)


class DossierSupplementDocumentCreateApi(APIView):
    parser_classes = [PortalMultiPartParser, PortalFormParser]

    @extend_schema_serializer(component_name="SupplementDocumentInput")
    class InputSerializer(serializers.Serializer):
        key = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
        file = serializers.FileField(allow_empty_file=True, help_text="PDF, JPEG or PNG, at most 10 MB.")

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_supplement_documents_create",
        summary="Attach a supplement document",
        description="While a supplement is requested, the applicant attaches what was asked for, then sends the "
        "supplement with the action `supplement`.",
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentOutputSerializer, **_errors(400, 401, 404, 409, 413, 429)},
    )
    def post(self, request, code):
        dossier = selectors.dossier_get_for(user=request.user, code=code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_attach(
            dossier=dossier,
            actor=request.user,
            upload=serializer.validated_data["file"],
            key=serializer.validated_data["key"],
            role=DocumentRole.SUPPLEMENT,
        )
        return Response(DocumentOutputSerializer(document).data, status=201)


class DossierActionApi(APIView):
    parser_classes = [PortalJSONParser, PortalMultiPartParser, PortalFormParser]

    @extend_schema_serializer(component_name="DossierActionInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=4000, help_text="Reason; the citizen reads it."
        )
        unit = serializers.CharField(required=False, allow_blank=True, default="", help_text="Unit code (transfer).")
        reason = serializers.ChoiceField(
            choices=workflow.TransferReason.choices,
            required=False,
            allow_blank=True,
            default="",
            help_text="Transfer reason code (transfer).",
        )
        new_due_at = serializers.DateTimeField(required=False, allow_null=True, help_text="New date (apologise).")
        assignee = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Officer's username (assign)."
        )
        version = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, help_text="The version you read: refused (409) if stale."
        )
        result = serializers.FileField(
            required=False, allow_null=True, allow_empty_file=True, help_text="Result document (decide; multipart)."
        )
        # Only parsed here: the service says which values are a rating (1-5), for the page and the API alike.
        rating = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="The applicant's rating of the service, 1 (very dissatisfied) to 5 (very satisfied) (rate).",
        )

    @extend_schema(
        tags=TAGS,
        operation_id="dossiers_actions_create",
        summary="Act on a dossier",
        description="Applies one action of the workflow table: "
        + ", ".join(f"`{action}`" for action in workflow.ACTIONS)
        + ". Who may act, and what each action needs, is the table's. Returns the dossier.",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(workflow.ACTIONS))],
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses={200: DossierDetailOutputSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, code, action):
        if action not in workflow.ACTIONS:
            raise services.DossierError(
                "unknown_action", _("There is no action “%(action)s”.") % {"action": action[:40]}, status_code=400
            )
        dossier = selectors.dossier_get_for(user=request.user, code=code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = None
        if data["unit"]:
            unit = Unit.objects.filter(code=data["unit"], is_active=True).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": [_("No active unit has this code.")]})
        # An unknown username becomes "no assignee": the service then answers after checking the
        # caller's role, so the endpoint does not tell strangers which usernames exist.
        assignee = (
            get_user_model().objects.filter(username=data["assignee"], is_active=True).first()
            if data["assignee"]
            else None
        )
        dossier = services.dossier_transition(
            dossier=dossier,
            action=action,
            actor=request.user,
            note=data["note"],
            unit=unit,
            reason=data["reason"],
            result_upload=data.get("result"),
            new_due_at=data.get("new_due_at"),
            assignee=assignee,
            rating=data["rating"],
            expected_version=data.get("version"),
        )
        return Response(_detail(request, dossier), status=status.HTTP_200_OK)


urlpatterns = [
    path("dossiers/", DossierCollectionApi.as_view(), name="dossier-list"),
    path("dossiers/drafts/<uuid:uuid>/", DraftApi.as_view(), name="dossier-draft"),
    path("dossiers/drafts/<uuid:uuid>/documents/", DraftDocumentCreateApi.as_view(), name="dossier-draft-documents"),
    path(
        "dossiers/drafts/<uuid:uuid>/documents/<int:document_id>/",
        DraftDocumentDeleteApi.as_view(),
        name="dossier-draft-document",
    ),
    path("dossiers/drafts/<uuid:uuid>/submit/", DraftSubmitApi.as_view(), name="dossier-draft-submit"),
    path("dossiers/<str:code>/", DossierDetailApi.as_view(), name="dossier-detail"),
    path("dossiers/<str:code>/events/", DossierEventListApi.as_view(), name="dossier-events"),
    path(
        "dossiers/<str:code>/documents/",
        DossierSupplementDocumentCreateApi.as_view(),
        name="dossier-supplement-documents",
    ),
    path("dossiers/<str:code>/actions/<str:action>/", DossierActionApi.as_view(), name="dossier-action"),
]
