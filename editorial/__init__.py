"""The editors\x27 side: review workflow, admin screens, quality checks, publishing."""
