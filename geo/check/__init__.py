"""Check a proposed property against the 1:200 limit and local concentration; keep the register.

``settings`` (a council's rules), ``placement`` (where a proposal is), ``evaluate`` (the answer),
``register`` (every proposal, decision and procurement, in the site store's SQLite file).
Computation only: no Streamlit here.
"""
