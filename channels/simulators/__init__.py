"""Local simulators of the platforms' HTTP APIs, for the demo and the tests."""
