"""The API reference's samples, checked against what the API answers.

A response sample must have the shape of the live answer: the same keys
at every level, and values of the same JSON type (``null`` matches any).
With ``STAFFELN_API_SAMPLES=write`` in the environment the samples are
written from the live answers instead, to be reviewed and committed.
"""

import json
import os

DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                   'doc', 'source', 'api-ref', 'samples')


def path(name: str) -> str:
    return os.path.normpath(os.path.join(DIR, name))


def load(name: str):
    with open(path(name)) as f:
        return json.load(f)


def shape_differences(sample, live, where='') -> list[str]:
    if sample is None or live is None:
        return []
    if isinstance(sample, dict) and isinstance(live, dict):
        wrong = [f'{where}.{k}: missing from the sample'
                 for k in sorted(set(live) - set(sample))]
        wrong += [f'{where}.{k}: not in the answer'
                  for k in sorted(set(sample) - set(live))]
        for key in sorted(set(sample) & set(live)):
            wrong += shape_differences(sample[key], live[key],
                                       f'{where}.{key}')
        return wrong
    if isinstance(sample, list) and isinstance(live, list):
        wrong = []
        for item in live[:1]:
            if not sample:
                return [f'{where}: the sample list is empty']
            wrong += shape_differences(sample[0], item, f'{where}[0]')
        return wrong
    if type(sample) is not type(live) and not (
            isinstance(sample, (int, float)) and
            isinstance(live, (int, float))):
        return [f'{where}: {type(sample).__name__} in the sample, '
                f'{type(live).__name__} in the answer']
    return []


def check(testcase, name: str, live) -> None:
    """Fail ``testcase`` unless the sample ``name`` has ``live``'s shape."""
    if os.environ.get('STAFFELN_API_SAMPLES') == 'write':
        with open(path(name), 'w') as f:
            json.dump(live, f, indent=4, sort_keys=True)
            f.write('\n')
        return
    testcase.assertEqual([], shape_differences(load(name), live), name)
