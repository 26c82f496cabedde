"""Statistics for the city-brain screen: volumes, online share, automation, time to decision."""
