"""What each command answers (find, route, list, show, units, lint, triage routing, batch), as JSON-ready documents."""
