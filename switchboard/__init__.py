"""Switchboard: code shared by the Lambdas and the media worker."""
