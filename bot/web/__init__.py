"""The web app: the chat widget's assets, a demo page, and the chat proxy to Rasa."""
