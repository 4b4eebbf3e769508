"""The names of a project's two generated folders, spelled in this one place.

``_build/`` holds what a build makes on the way (executed notebooks, facts, caches; safe to delete) and
``_output/`` the published deliverables. :class:`cufstudy.core.project.BuildPaths` names the paths inside
them; :mod:`cufstudy.core.files` leaves both out of the walk of a project's sources.
"""

from __future__ import annotations

__all__ = ["BUILD_DIR", "OUTPUT_DIR"]

BUILD_DIR = "_build"
OUTPUT_DIR = "_output"
