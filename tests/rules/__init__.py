"""Tests of the editorial rules at every door (issue 13, item 5).

``test_permission_matrix.py`` requests every admin and API URL (generated from the URL
resolver) for every role on a world with an issue and a note in every state, and checks the
rules' invariants after each request; the other modules hold one test per case listed under
"Why" in issue 13. Run ``pytest tests/rules -s`` to see the matrix's counts.
"""
