"""Review: reviewers' decisions on suggestions, the review queue, and the spreadsheet round trip."""
