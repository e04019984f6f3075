"""Exposure copies (曝光台) of problem photos: see access.py (who), operations.py (what),
blur.py (the image work), queries.published_copy_url (for bulletins)."""
