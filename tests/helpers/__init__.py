"""Helpers shared by every test tree (unit, integration, e2e, security): no tree imports another's."""
