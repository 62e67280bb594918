"""Identity verification inside the services: policy (lockout, lifetimes), store (vault, consent,
attempts, approvals, sessions), the checks that combine them, and the second-factor providers.
The HTTP handlers are in services/api/identity.py; the VNeID stand-in is its own app
(services/vneid_standin)."""
