"""The small runner the Python test scripts share: each test is a function taking a
context and returning a note; prints PASS/FAIL per test and the closing line
"N passed, N failed"; returns the exit status."""
import argparse
import os
import shutil
import tempfile


def run_tests(description, prefix, tests, make_context):
    parser = argparse.ArgumentParser(description=description)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--repo", default=os.path.dirname(os.path.dirname(here)))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix=prefix)
    context = make_context(os.path.abspath(args.repo), work)
    passed = failed = 0
    for test in tests:
        try:
            note = test(context)
            passed += 1
            print(f"PASS {test.__name__}: {note}")
        except Exception as e:  # a failed assertion or an unexpected error both fail the test
            failed += 1
            print(f"FAIL {test.__name__}: {type(e).__name__}: {e}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
