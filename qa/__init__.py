"""The domain and its services. Nothing here imports Streamlit."""
