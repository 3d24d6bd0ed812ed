"""Small pure building blocks: money rules, card-number detection, ids."""
