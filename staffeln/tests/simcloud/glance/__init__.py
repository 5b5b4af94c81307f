"""The simulated Glance v2: its HTTP API and its rules."""
