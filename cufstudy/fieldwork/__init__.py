"""The fieldwork kit: interview guides and capture forms generated per case, read back into the case base."""
