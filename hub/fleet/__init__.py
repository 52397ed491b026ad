"""Edge fleet: box health from heartbeats, offline alarms, config and model rollouts."""
