"""The scale bench (issue 12, "Measured"): `python -m bench.scale`, `make bench-scale`."""
