"""Custom NLU components, named in config.yml by module path."""
