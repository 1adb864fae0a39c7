"""The WSGI entry point: ``gunicorn -w 4 -b 0.0.0.0:8080 --timeout 300 app:app``."""

from invoice_extractor.gc_tuning import tune_for_batches
from invoice_extractor.web import create_app

app = create_app()
tune_for_batches()
