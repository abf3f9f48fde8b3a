"""Review the labels on a sample of one's own archive: draw, review in the browser, score."""
