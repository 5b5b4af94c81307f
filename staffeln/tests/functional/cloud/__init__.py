"""Functional tests of the cloud adapter against the simulated cloud."""
