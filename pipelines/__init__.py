"""党建指数看板 pipelines: synthetic data, loading, index computation and exports."""
