"""Who may see what: members, organisations, agreements, the one scoped read of site records,
the hash-chained audit log and traceable exports. Computation only (no Streamlit)."""
