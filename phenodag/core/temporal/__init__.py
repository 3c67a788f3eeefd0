"""Temporal drug-effect analysis: distance-to-control trajectories, DTW k-means, response types."""
