"""The domain's events, as blinker signals (Flask's own signal library).

A service sends an event in the transaction of the change it reports; the subscribers connected
in one visible place (`voice.subscribers.connect`, called by the app factory) queue the outbox
events for panels and the notices for people, in the same transaction. Senders never know who
listens.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the CaptureSession the child finished.
session_finished = _signals.signal("session-finished")
# sender: the new Summary; first_for_panel: whether its panel had no version before.
summary_approved = _signals.signal("summary-approved")
# sender: the Withdrawal; reached: {panel id: (latest summary id, [withdrawn answer ids])}.
items_withdrawn = _signals.signal("items-withdrawn")
# sender: the erased Case (its key is gone).
case_erased = _signals.signal("case-erased")
# sender: the SafeguardingConcern an advocate raised about the case.
concern_raised = _signals.signal("concern-raised")
# sender: the panel's Outcome with a message for the child.
feedback_recorded = _signals.signal("feedback-recorded")
# sender: the AnswerVersion whose chosen options include a safety signal (shared or not, saved
# in the child's session or arriving later from an offline device).
safety_signal = _signals.signal("safety-signal")
