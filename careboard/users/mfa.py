"""allauth MFA adapter: TOTP secrets are stored encrypted, not in the clear."""

from __future__ import annotations

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    # A dedicated key when given (so SECRET_KEY can rotate without losing enrolments);
    # otherwise one derived from SECRET_KEY.
    key = settings.MFA_ENCRYPTION_KEY
    if key:
        try:
            return Fernet(key.encode())
        except ValueError as exc:
            raise ImproperlyConfigured("MFA_ENCRYPTION_KEY is not a valid Fernet key.") from exc
    digest = hashlib.sha256(b"careboard-mfa:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _fernet().decrypt(encrypted_text.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored MFA secret cannot be decrypted: MFA_ENCRYPTION_KEY or SECRET_KEY "
                "changed since it was enrolled."
            ) from exc
