"""NAV's own request and response models, with NAV's field names."""
