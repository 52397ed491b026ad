"""Redis persistence: key names, atomic Lua scripts, the case log and the change stream."""
