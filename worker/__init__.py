"""RQ jobs, queue names, retry policy and the embedded Redis for single-machine use."""
