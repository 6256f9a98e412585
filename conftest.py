# Keep pytest's doctest collection away from the module that runs the command line on import.
collect_ignore = ["minillada/__main__.py"]
