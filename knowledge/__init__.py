"""What the bot knows (bulletins/) and how it finds it (loader, index, answer)."""

BULLETIN_INDEX_URL = "https://www.lausd.org/Page/6302"  # where LAUSD publishes every bulletin
