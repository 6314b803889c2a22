"""What a reader sees: figures of fits and the report writer."""
