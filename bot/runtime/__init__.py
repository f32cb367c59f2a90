"""Settings, wiring, the server entry points, the launcher and the command line."""
