"""Pure rules: no Rasa, SQLAlchemy or aiohttp here."""
