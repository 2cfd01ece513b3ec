"""Getting each report to a person: nearest grid worker, responsible worker, or the district."""
