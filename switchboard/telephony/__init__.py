"""Pure carrier helpers for call setup: webhook signatures, TwiML, and the Telnyx Call Control client.

Modules stay import-light (each pulls in only its own vendor library) because call setup
runs on the caller's path and its cold start counts.
"""
