"""Streamlit helpers for the Streamchat pages: settings, session state, rendering, streaming.

Everything that touches ``streamlit`` lives here (chat_core never imports it). Pages stay flat:
read state, draw, call one helper.
"""
