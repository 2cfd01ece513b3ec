"""Health checks for a load balancer: the process is up; the database and Redis answer."""
