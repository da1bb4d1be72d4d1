"""To-dos made from a chat comment or a notification, titled by AI in the user's working language."""
