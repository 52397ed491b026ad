"""The zone editor: draw a camera's zones and targets, see their grids, push them to the box."""
