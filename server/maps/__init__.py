"""The map of sites, check-ins, findings and items (issue 14)."""
