"""Stage 7, report: plots and images from a run (matplotlib, no display needed)."""
