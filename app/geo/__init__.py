"""The grid map: areas from district down to micro-grid, and who serves them."""
