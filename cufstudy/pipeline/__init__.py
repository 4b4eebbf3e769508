"""From data to deliverables: the run plan, the Papermill batch, the checks and the build."""
