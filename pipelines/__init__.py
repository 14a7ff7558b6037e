"""Prefect flows that run journeymine's steps (wiring, retries, schedule; no logic)."""
