"""The simulated Cinder v3: its HTTP API, views and rules."""
