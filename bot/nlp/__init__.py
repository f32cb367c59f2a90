"""The Swedish language pipeline: lemma table, spaCy build and Rasa components."""
