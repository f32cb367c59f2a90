"""Rasa SDK custom actions: thin adapters from the tracker to the services in `bot`."""
