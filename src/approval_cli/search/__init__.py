"""Understanding a description and ranking the rows for it."""
