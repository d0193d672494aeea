"""Publishing: Parquet with an explicit Arrow schema, all-or-nothing runs with a manifest."""

from synthgan.publish.parquet import arrow_schema, content_hash, write_parquet_atomic
from synthgan.publish.run import PublishError, latest_run, publish_parts, publish_run, reject_run

__all__ = ["PublishError", "arrow_schema", "content_hash", "latest_run", "publish_parts", "publish_run", "reject_run",
           "write_parquet_atomic"]
