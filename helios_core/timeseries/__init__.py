"""Time series, a built-in plugin of the kernel (registered like branching, through the hooks).

``CREATE TIMESERIES TABLE name (...) WITH (retention = '900d', partition_by = 'repo_id',
compression = 'auto', compression_after = '7d', chunk_interval = '1d', time_column = 'ts')``
makes an ordinary table (so INSERT, COPY, UPDATE, DELETE, joins, AS OF and branches work as
on any table) whose options carry a ``timeseries`` record; its rows fall into time chunks of
``chunk_interval``; a retention job drops whole chunks past ``retention``. Functions:
time_bucket, time_bucket_gapfill with locf/interpolate, first/last, histogram. Continuous
aggregates (``CREATE CONTINUOUS AGGREGATE``) are materialized tables refreshed incrementally.

Modules: durations (option intervals), options (the table record), syntax (statements),
tables (CREATE/ALTER), chunks (chunk metadata), time_bucket, gapfill, aggregates, jobs
(retention, refresh, run_job), continuous (continuous aggregates), catalog_views, plugin.
"""
