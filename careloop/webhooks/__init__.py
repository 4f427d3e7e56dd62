"""Outgoing webhooks: other systems hear when a complaint is created, breached or closed, or a task is created."""
