"""Core plumbing with no knowledge of the study: errors and located problems, the safe YAML reader, atomic
file writes, the library digest, the project's location."""
