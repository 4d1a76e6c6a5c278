"""The app side: view state, presenters, map layers and widgets for the Streamlit pages.

`geo/` computes; this package turns its tables into what a page shows. Pages in `pages/` stay
thin and call in here. Nothing in `geo/` may import from `ui/`.
"""
