from django.apps import AppConfig


class IngestConfig(AppConfig):
    """Files in: the readers, one registered importer per format (`formats.py`), uploads and their task.

    The batches they record (`indicators.ImportBatch`) stay with the rows that point at them: see its docstring.
    """

    name = "ingest"
    verbose_name = "Imports"
