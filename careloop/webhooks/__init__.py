"""Outgoing webhooks: other systems hear when a complaint is created, breached or closed."""
