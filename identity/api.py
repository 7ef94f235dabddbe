"""GET /api/v1/me: who is calling, their roles in which units, and the e-ID level."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.access import roles_of
from identity.eid.adapter import SESSION_LEVEL
from identity.selectors import user_postings


class MeApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "full_name": serializers.CharField(),
                "personal_id": serializers.CharField(allow_null=True),
                "eid_level": serializers.IntegerField(allow_null=True, help_text="Level of the current e-ID login."),
                "roles": serializers.ListField(child=serializers.CharField()),
                "postings": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        user = request.user
        session = getattr(request, "session", None)
        level = session.get(SESSION_LEVEL) if session is not None else None
        return Response(
            {
                "username": user.username,
                "full_name": user.full_name,
                "personal_id": user.personal_id,
                "eid_level": level if level is not None else user.eid_level,
                "roles": sorted(roles_of(user)),
                "postings": [
                    {"role": p.role, "unit": p.unit.code, "unit_name": p.unit.name} for p in user_postings(user=user)
                ],
            }
        )


class MeNoSlashApi(MeApi):
    """/api/v1/me without the slash, as the API was announced; one schema entry is enough."""

    schema = None
