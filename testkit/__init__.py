"""What the tests and the scripts (benchmarks, load and fuzz runs) share: the fakes at the
network edge (fake_slack: Slack's Web API, fake_connector: the Bot Framework connector),
the fake encoder, real-shaped payload builders, bulletin documents and the fuzz targets.
Not shipped in the wheel; importable from the repository root (pytest's `pythonpath`,
and each script puts the root on sys.path)."""
