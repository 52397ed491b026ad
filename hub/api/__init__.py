"""HTTP API: one router per resource, thin routes over the runtime's services."""
