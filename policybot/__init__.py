"""The application's entry point and composition root: the `policybot` command (cli.py
and its command groups), the one package that wires the core (bot/, knowledge/, infra/)
to the front ends (handlers/)."""
