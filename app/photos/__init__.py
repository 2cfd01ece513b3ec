"""The photo domain: check, clean and store the pictures riders send, and serve them by signed link."""
