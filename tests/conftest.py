"""Test-wide settings: offline, no telemetry, one BLAS thread."""

import os

for name, value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("RAGAS_DO_NOT_TRACK", "true"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("MINFU_ENVIRONMENT", "test"),
):
    os.environ[name] = value
