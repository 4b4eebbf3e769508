"""What the analysis notebooks import: named facts, French tables and charts."""
