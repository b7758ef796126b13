"""Runs against a real Tessera: TESSERA_URL, TESSERA_USERNAME and TESSERA_PASSWORD (the repository's
``npm test`` starts one and runs this file; alone it is skipped with a message)."""

import os
import re
import threading
import unittest

import requests

from tessera_auth import TesseraAuth, TesseraAuthError

URL = os.environ.get("TESSERA_URL")
USERNAME = os.environ.get("TESSERA_USERNAME")
PASSWORD = os.environ.get("TESSERA_PASSWORD")
THREADS = 20


def refreshes():
    text = requests.get(f"{URL}/metrics", timeout=10).text
    match = re.search(r'^tessera_refreshes_total\{outcome="success"\} (\d+)', text, re.M)
    return int(match.group(1)) if match else 0


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@unittest.skipUnless(URL and USERNAME and PASSWORD, "set TESSERA_URL, TESSERA_USERNAME and TESSERA_PASSWORD to a running Tessera")
class TesseraAuthTest(unittest.TestCase):
    def test_threads_meeting_an_expired_token_cause_one_refresh_and_all_succeed(self):
        clock = ManualClock()
        auth = TesseraAuth(URL, clock=clock)
        auth.login(USERNAME, PASSWORD)
        before = refreshes()
        clock.now += 3600  # every thread now holds an expired token
        statuses = []
        start = threading.Barrier(THREADS)

        def call():
            start.wait()
            statuses.append(requests.get(f"{URL}/api/users", auth=auth, timeout=10).status_code)

        threads = [threading.Thread(target=call) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(statuses, [200] * THREADS)
        self.assertEqual(refreshes() - before, 1)

    def test_keeps_the_refresh_token_where_it_is_told_and_starts_from_it(self):
        kept = []
        first = TesseraAuth(URL, on_refresh_token=kept.append)
        first.login(USERNAME, PASSWORD)
        later = TesseraAuth(URL, refresh_token=kept[-1], on_refresh_token=kept.append)
        self.assertEqual(requests.get(f"{URL}/api/users", auth=later, timeout=10).status_code, 200)
        later.logout()
        self.assertIsNone(kept[-1])

    def test_a_replayed_refresh_token_is_refused_with_its_reason(self):
        kept = []
        auth = TesseraAuth(URL, on_refresh_token=kept.append)
        auth.login(USERNAME, PASSWORD)
        auth.logout()
        with self.assertRaises(TesseraAuthError) as refused:
            TesseraAuth(URL, refresh_token=kept[0]).access_token()
        self.assertEqual(refused.exception.code, "invalid_grant")
        self.assertEqual(refused.exception.reason, "revoked")

    def test_wrong_password_raises_with_the_code(self):
        with self.assertRaises(TesseraAuthError) as refused:
            TesseraAuth(URL).login(USERNAME, "wrong password")
        self.assertEqual(refused.exception.code, "invalid_credentials")


if __name__ == "__main__":
    unittest.main()
