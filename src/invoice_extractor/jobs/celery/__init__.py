"""Celery backend of the job interface: the web app sends ``run_job(job_id)`` messages through the
broker (``QUEUE_URL``), ``invoice-extractor worker`` processes run them.

The database stays the truth: a message only says "look at job N". The task claims that job with
the same conditional UPDATE as the in-process workers, keeps its lease alive while it runs and
stores the result with ``Store.finish`` (once, however often it runs). Messages are acknowledged
late, so a worker that dies mid-job leaves its message to another; and each worker sweeps the job
table for jobs that have no message (the broker was down at upload, or restarted empty) or whose
worker died, and sends them again. A lost message therefore delays a job, never loses it.

Modules: ``config`` (the Celery app and its settings), ``queue`` (the web side), ``worker`` (the
task and ``invoice-extractor worker``), ``sweep`` (the re-sending).
"""
