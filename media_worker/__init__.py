"""The Fargate media worker: carrier media streams in, provider streams out."""
