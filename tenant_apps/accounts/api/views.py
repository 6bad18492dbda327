"""City API /api/v1/accounts/: session or token auth; errors in the one shape of core.api."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.models import User
from tenant_apps.accounts import gdpr, permissions, selectors
from tenant_apps.accounts.models import Action
from tenant_apps.accounts.services import accounts as account_services
from tenant_apps.accounts.services import verification as verification_services

VerificationOut = inline_serializer(
    "VerificationResult",
    {"method": serializers.CharField(), "district": serializers.CharField(required=False, allow_null=True)},
)


def _user(request: Request) -> User:
    """The signed-in user (views below require IsAuthenticated)."""
    return cast(User, request.user)


class ProfileSerializer(serializers.Serializer):
    email = serializers.EmailField(read_only=True)
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    preferred_language = serializers.CharField(max_length=8, required=False, allow_blank=True)
    role = serializers.CharField(read_only=True)
    postal_code = serializers.CharField(max_length=16, required=False, allow_blank=True)
    district = serializers.CharField(max_length=100, required=False, allow_blank=True)
    birth_year = serializers.IntegerField(required=False, allow_null=True)
    notify_replies = serializers.BooleanField(required=False)
    notify_news = serializers.BooleanField(required=False)
    email_verified = serializers.BooleanField(read_only=True)


def _profile_data(user: Any) -> dict[str, Any]:
    profile = selectors.profile_for(user)
    return {
        "email": user.email,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "role": profile.role,
        "postal_code": profile.postal_code,
        "district": profile.district,
        "birth_year": profile.birth_year,
        "notify_replies": profile.notify_replies,
        "notify_news": profile.notify_news,
        "email_verified": profile.email_verified_at is not None,
    }


class ProfileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(_profile_data(request.user))

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer)
    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        account_services.profile_update(user=_user(request), **serializer.validated_data)
        return Response(_profile_data(request.user))


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True)
        display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        preferred_language = serializers.CharField(max_length=8, required=False, allow_blank=True)
        postal_code = serializers.CharField(max_length=16, required=False, allow_blank=True)
        district = serializers.CharField(max_length=100, required=False, allow_blank=True)
        birth_year = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account_services.account_register(**serializer.validated_data)
        # The same answer whether or not the address already had an account.
        return Response({"detail": "Check your email to confirm your address."}, status=status.HTTP_202_ACCEPTED)


class VerificationStatusApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "VerificationStatus",
            {
                "email_verified": serializers.BooleanField(),
                "methods": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        data = verification_services.verification_status(user=_user(request))
        return Response({"email_verified": data["email_verified"], "methods": data["methods"]})


class CensusVerifyApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        document_number = serializers.CharField(max_length=64)
        birth_date = serializers.CharField(required=False, allow_blank=True)
        postal_code = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=VerificationOut)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification = verification_services.verify_with_census(user=_user(request), **serializer.validated_data)
        return Response({"method": verification.method, "district": verification.district})


class LetterVerifyApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=32)

    @extend_schema(request=InputSerializer, responses=VerificationOut)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification = verification_services.verify_with_letter_code(
            user=_user(request), code=serializer.validated_data["code"]
        )
        return Response({"method": verification.method, "district": verification.district})


class EmailDomainVerifyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=VerificationOut)
    def post(self, request: Request) -> Response:
        verification = verification_services.verify_with_email_domain(user=_user(request))
        return Response({"method": verification.method})


class SmsStartApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        phone = serializers.CharField(max_length=32)

    @extend_schema(request=InputSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification_services.sms_challenge_start(user=_user(request), phone=serializer.validated_data["phone"])
        return Response({"detail": "Code sent."}, status=status.HTTP_202_ACCEPTED)


class SmsConfirmApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=12)

    @extend_schema(request=InputSerializer, responses=VerificationOut)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification = verification_services.sms_challenge_confirm(
            user=_user(request), code=serializer.validated_data["code"]
        )
        return Response({"method": verification.method})


class CanApi(APIView):
    """May the caller (anonymous included) do ``action``? With the reason when refused."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "CanDecision",
            {
                "action": serializers.CharField(),
                "allowed": serializers.BooleanField(),
                "code": serializers.CharField(),
                "reason": serializers.CharField(),
                "methods": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: Request, action: str) -> Response:
        if action not in Action.values:
            return Response(
                {"error": {"code": "not_found", "message": "Unknown action.", "fields": {}}},
                status=status.HTTP_404_NOT_FOUND,
            )
        decision = permissions.can(request.user, action)
        return Response(
            {
                "action": action,
                "allowed": decision.allowed,
                "code": decision.code,
                "reason": decision.reason,
                "methods": list(decision.methods),
            }
        )


class DataExportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "DataExportStarted", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request) -> Response:
        export = gdpr.export_request(user=_user(request))
        return Response({"id": export.pk, "status": export.status}, status=status.HTTP_202_ACCEPTED)


class AccountDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        keep_contributions = serializers.BooleanField()
        confirm = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data["confirm"]:
            raise serializers.ValidationError({"confirm": ["Confirm the deletion."]})
        gdpr.account_delete(user=_user(request), keep_contributions=serializer.validated_data["keep_contributions"])
        return Response(status=status.HTTP_204_NO_CONTENT)
