"""Safety alerts: raised when a child chooses an answer that says they may not be safe."""
