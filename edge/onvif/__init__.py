"""ONVIF cameras: discovery, Profile S media and PTZ presets."""
