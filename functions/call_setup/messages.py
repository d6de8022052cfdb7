"""What callers hear when call setup cannot connect them to an assistant."""

UNKNOWN_NUMBER = "Sorry, the number you have called is not in service. Goodbye."
BUSY = "Sorry, all of our lines are busy right now. Please call again in a few minutes. Goodbye."

STREAM_CALL_ID_PARAMETER = "call_id"
"""Custom stream parameter carrying the call id next to the stream token."""
