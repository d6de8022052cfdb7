"""call_setup Lambda: carrier webhooks that answer calls and hand the media stream to the worker."""
