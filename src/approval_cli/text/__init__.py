"""Text as clerks write it and as the matcher compares it: normalising, amounts, words, sounds, wrapping, safe display."""
