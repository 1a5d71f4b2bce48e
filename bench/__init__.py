"""rigbench's model planner and benchmark runner (the ``bench`` tool)."""
