"""The command line for spark-submit, which runs a file rather than a module:

    spark-submit --master yarn pipelines/spark/submit.py compute --engine spark --lake hdfs:///pbi/lake --db …

A file run as a script has its own folder first on Python's path; the project's root is put
there instead, so that the command sees the packages as `python -m pipelines` does (a module
of `pipelines/` must not stand in for the standard library's of the same name)."""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parents[2])
    from pipelines.cli import main

    sys.exit(main())
