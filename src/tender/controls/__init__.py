"""Operator controls every layer consults: kill switches (`switches`) and the audit log and
switch table SQL they and other operator actions write (`repository`). Below the domains, so
payments, methods, checkout, monitoring and the runtime read switches without importing
`tender.ops` (the operator tooling on top).
"""
