"""The simulated Nova v2.1: its HTTP API and its rules."""
