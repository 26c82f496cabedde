"""The clerks' review of applications: its HTTP face (the logic lives with the
applications, in app/services/applications/review.py)."""
