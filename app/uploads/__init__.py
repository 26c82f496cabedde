"""Uploads: the files an applicant sends for the materials no e-license stands in for."""
