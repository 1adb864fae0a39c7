"""Files to pages: words with boxes, page images, embedded XML."""
