"""The operations console: the seed's launch-day dashboards and the kill switches, in a page."""
