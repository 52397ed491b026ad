"""Push fan-out to responders: Web Push (VAPID), an MQTT topic per responder, the live page."""
