"""Careline: the domain (pure rules) and its AWS adapters."""
