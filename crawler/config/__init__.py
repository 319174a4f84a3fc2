"""The user's TOML config: its schema, its loader, and its mapping to Scrapy settings."""
