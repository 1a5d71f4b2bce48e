"""rigbench's measured-vs-predicted reports (the ``report`` tool)."""
