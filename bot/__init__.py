"""policybot: the platform-independent core (never imports slack_bolt or botbuilder)."""
