"""vectors: see docs/architecture.md."""
