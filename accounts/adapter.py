"""How django-allauth signs people in here: the project's sign-in limits instead of allauth's
per-address lockout, which also refused the owner's right password."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.http import HttpRequest

from accounts.signin import login_of, signin_refusal


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Says why a sign-in is refused in words, before the password is checked."""
        super().pre_authenticate(request, **credentials)
        refusal = signin_refusal(request, login_of(credentials))
        if refusal:
            raise forms.ValidationError(refusal, code="too_many_login_attempts")
