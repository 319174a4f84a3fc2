"""Pure functions over text: extraction, dates, near-duplicates, company tagging."""
