"""Side-by-side benchmarks of lro-sdk: every number is a ratio against a baseline run in
the same process tree, on the same machine, in the same run (`make bench`)."""
