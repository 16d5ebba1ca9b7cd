"""THE frames-to-masks pipeline: source -> planner -> tracker -> stages -> scorer -> sinks (docs/architecture.md)."""
