"""tools_env package."""
