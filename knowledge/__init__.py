"""What the bot knows (bulletins/) and how it finds it (loader, index, answer)."""
