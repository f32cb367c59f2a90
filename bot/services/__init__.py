"""Use cases over the domain rules, storage and content."""
