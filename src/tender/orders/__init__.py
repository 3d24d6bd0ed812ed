"""Orders: what a user pays for; amounts are fixed server-side."""
