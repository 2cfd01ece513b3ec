"""送政策上门: campaigns of policy leaflets that riders hand out with their orders, and deliveries."""
