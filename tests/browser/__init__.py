"""Helpers for tests that drive the web front end: a live server and headless Chromium."""
