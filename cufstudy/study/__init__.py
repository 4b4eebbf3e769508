"""The analyses of the capitalisation study: tiers, follow-up, typologies, organisation models."""
