"""Front ends: thin adapters from each platform's events to the core and back."""
