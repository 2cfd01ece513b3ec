"""The riders' and grid workers' phone web app (H5/PWA) under /app/: a static shell that talks to the JSON API."""
