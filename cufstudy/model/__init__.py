"""The data model: controlled vocabularies, authorities, countries, and the validated case base."""
