"""Hindsight's Streamlit dashboard: pages lay out widgets and charts; SQL lives in pipelines.read."""
