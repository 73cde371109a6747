"""Rendering answers for people (rich, plain lines, the routing slip) and for programs (JSON, CSV)."""
