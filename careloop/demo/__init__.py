"""Demo data for CareLoop: `careloop demo` calls `demo_generate` (a plain package, not an app)."""
