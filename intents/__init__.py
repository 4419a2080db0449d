"""The intents, as data: one YAML file per intent (read by bot/understanding/matcher.py). No code lives here."""
