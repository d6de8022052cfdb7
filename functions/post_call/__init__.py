"""The post_call Lambda: call.ended -> analysis -> cost ledger -> CRM writeback."""
