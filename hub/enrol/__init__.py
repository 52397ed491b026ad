"""Edge box enrolment: one-time tokens, per-box MQTT credentials, the broker's password and ACL files."""
