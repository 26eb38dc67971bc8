"""Infrastructure both the core (bot/) and the knowledge base (knowledge/) stand on: the
SQLite storage and its migrations, the secret key, the clock and the error hierarchy.
It imports nothing from the project's other packages."""
