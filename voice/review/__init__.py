"""The advocate's review of the child's shared items, the versioned summary and its schema, and
the child's withdrawal of sharing."""
