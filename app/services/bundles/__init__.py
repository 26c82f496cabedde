"""Linked services (一件事一次办): multi-party, multi-step cases run as sagas."""
