"""The panel's side: agenda, read receipts, outcome and message for the child, feedback, chairs
and the evaluation figures."""
