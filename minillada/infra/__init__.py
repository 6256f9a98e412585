"""What no chapter teaches, one level down: the plumbing every chapter uses and none needs explained.

* ``checks``: the argument checks that each public function calls in one line (ValueErrors that
  name the argument and say what to do);
* ``rng``: seeded random draws that give the same numbers on every device;
* ``progress``: progress bars, lively on a terminal and a line every 30 s in a log file;
* ``checkpoint``, ``lock``, ``run_dir``: atomic checksummed checkpoints, one run per run
  directory, and what a run directory holds to resume from;
* ``plotting``: pictures of the reverse process and of the reversal results;
* ``practice``: the helpers of the practice notebooks (``yours``, ``check_cases``).
"""
