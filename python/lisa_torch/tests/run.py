"""Runs lisa_torch's tests (unittest) and prints one line per test for scripts/test's summary:
    lisa_torch: PASS <test>    lisa_torch: FAIL <test>    lisa_torch: SKIP <test>: <reason>
then `lisa_torch: N passed, N failed, N skipped`. Exit status 1 when a test failed or errored.
Usage: python python/lisa_torch/tests/run.py [-k PATTERN]"""
from __future__ import annotations

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TQDM_DISABLE", "1")          # transformers' GGUF dequantization bar


class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0
        self.started = 0.0

    def startTest(self, test):
        self.started = time.time()
        super().startTest(test)

    def _line(self, word: str, test, extra: str = "") -> None:
        took = time.time() - self.started
        self.stream.write(f"lisa_torch: {word} {test.id().removeprefix('test_')}{extra} ({took:.1f} s)\n")
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._line("PASS", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line("FAIL", test)

    def addError(self, test, err):
        super().addError(test, err)
        self._line("FAIL", test, " (error)")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line("SKIP", test, f": {reason}")


def main() -> int:
    pattern = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    loader = unittest.TestLoader()
    if pattern:
        loader.testNamePatterns = [f"*{pattern}*"]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=Result)
    r = runner.run(suite)
    failed = len(r.failures) + len(r.errors)
    print(f"lisa_torch: {r.passed} passed, {failed} failed, {len(r.skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
