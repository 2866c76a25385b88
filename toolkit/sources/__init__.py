"""Getting data in: reading files as people and survey tools wrote them."""
