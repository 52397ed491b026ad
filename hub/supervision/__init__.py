"""Supervision (督办): colours of open cases, notices for red ones, operators' orders."""
