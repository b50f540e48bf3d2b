"""Delivery: webhooks into panels' case records (outbox, worker, reference receiver) and Web Push."""
