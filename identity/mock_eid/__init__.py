"""A mock e-ID provider: a real OpenID Connect provider standing in for VNeID.

The portal logs citizens in only through the national e-ID. For local runs,
demos and tests there is no VNeID to talk to, so this app plays it honestly:
authorization code flow with PKCE (S256), RS256-signed ID tokens, a JWKS, a
userinfo endpoint and RP-initiated logout, all over real HTTP. The portal (the
relying party in `identity.eid`) cannot tell it from a real provider and gets no
shortcut: it must redirect, exchange the code and verify the signature.

It is a separate system that happens to be served by the same process: its
subjects are people of the citizen registry (never the portal's users), its
codes and tokens live in its own tables, and its clients come from settings
(`MOCK_EID_CLIENTS`). It is on only when MOCK_EID_ENABLED is (never in
production unless explicitly allowed).
"""
