"""Outgoing care messages: scheduling, quiet hours, frequency cap and opt-out."""
