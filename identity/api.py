"""GET /api/v1/me: who is calling, with which roles in which units."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.selectors import user_postings


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    eid_level = serializers.IntegerField(allow_null=True)
    roles = serializers.ListField(child=serializers.DictField())


class MeApi(APIView):
    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        user = request.user
        roles = [{"role": "citizen"}] if user.personal_id else []
        roles += [{"role": p.role, "unit": p.unit.code} for p in user_postings(user=user)]
        data = {"username": user.username, "full_name": user.full_name, "eid_level": user.eid_level, "roles": roles}
        return Response(MeOutputSerializer(data).data)
