"""Department data exchange: typed adapters, their resilience and the simulated departments."""
