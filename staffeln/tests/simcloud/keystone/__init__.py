"""The simulated Keystone v3: its HTTP API and its rules."""
