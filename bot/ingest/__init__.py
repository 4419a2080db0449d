"""Ingestion: from a news article (text, HTML or a URL) to proposed, attributed facts for an admin to review.

Nothing here writes to the database: `propose` returns a Dataset in the YAML schema of data/incidents.yaml,
and the caller (the `ingest` command line, or the chat review flow) decides what lands.
"""
