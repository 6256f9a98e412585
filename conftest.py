# Keep pytest's doctest collection away from files that do work when imported: the module that
# runs the command line, and the script the data-parallel test starts under torchrun.
collect_ignore = ["minillada/__main__.py", "tests/ddp_worker.py"]
