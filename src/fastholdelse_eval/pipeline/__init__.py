"""The pipeline: study config → load → evaluate → compare → suppress → document → write."""
