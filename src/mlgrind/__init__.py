"""The ML Grind."""
