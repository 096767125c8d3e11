"""The pages: one plain script per job, run by the router (`streamlit_app.py`) through st.Page.

A package only so that the import contracts see the pages' imports too.
"""
