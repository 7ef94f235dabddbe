"""Citizen e-ID login: the portal as an OpenID Connect relying party of VNeID.

A thin provider on top of django-allauth's OpenID Connect support. It differs
from allauth's generic one on purpose: the ID token's signature is always
verified against the provider's JWKS (allauth skips it for back-channel
tokens), only RS256 is accepted, and the claims are mapped to one `EidIdentity`
whose personal ID number is validated before any account is touched.
"""
