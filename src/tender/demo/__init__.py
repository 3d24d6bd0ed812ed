"""`tender demo-data`: a realistic payment history driven through the real flows."""
