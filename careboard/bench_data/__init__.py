"""Synthetic data at hospital and region scale, and the bulk writer it shares with
``manage.py import_observations`` (see ``bench/README.md``)."""
