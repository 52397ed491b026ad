"""The one exception of the contract package."""


class ContractError(ValueError):
    """A payload or topic that breaks contract v1; the message names the bad value."""
