"""Care rules, the daily plan and callback tasks."""
