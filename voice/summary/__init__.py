"""The summary of a child's views: the one door to it.

`document` builds, validates and stores the child-views-summary document (the published schema
in voice/schemas/); `door` is what anybody outside the child's team may have of a stored
summary *now*: every panel page, the JSON, the print layout, the webhook body and the signed
media links go through `door.for_panel`. Review, panel and delivery use this package; it uses
none of them.
"""
