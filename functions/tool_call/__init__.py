"""The tool_call Lambda: runs one assistant tool call for the media worker (``POST /tools/invoke``)."""
