"""Evaluation: datasets, metrics, pipelines compared side by side, and reports.

Nothing in the product imports this package except the `minfu eval` commands.
"""
