"""The small runner the Python test scripts share: each test is a function taking a
context and returning a note; prints PASS/FAIL per test and the closing line
"N passed, N failed"; returns the exit status."""
import argparse
import os
import shutil
import tempfile


def run_tests(description, prefix, tests, make_context, required_paths=()):
    """required_paths: names of further path options (such as "--attnbench"), given
    absolute to make_context after the repository and the work folder."""
    parser = argparse.ArgumentParser(description=description)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--repo", default=os.path.dirname(os.path.dirname(here)))
    for option in required_paths:
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix=prefix)
    extra = [os.path.abspath(getattr(args, o.lstrip("-").replace("-", "_"))) for o in required_paths]
    context = make_context(os.path.abspath(args.repo), work, *extra)
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
