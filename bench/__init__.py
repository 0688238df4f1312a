"""Benchmarks of the product (`make bench`, `python -m bench`): development tooling, outside the
product's packages. It imports `pipelines` and drives `dashboard`; neither imports it."""
