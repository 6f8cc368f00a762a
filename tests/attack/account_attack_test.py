"""Deleted accounts (issue 19, finding 6): once an account is deleted, its
tokens are refused by every service and nothing more is written for it."""

import unittest

import stack as s

STACK = None


def setUpModule():
    global STACK
    STACK = s.Stack()
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)


class DeletedAccountTest(unittest.TestCase):
    """Finding 6: once an account is deleted its tokens are refused everywhere."""

    def test_tokens_of_a_deleted_account_are_refused_by_every_service(self):
        token, _, _ = s.sign_up(STACK)
        status, _, task = s.json_request(STACK, "POST", "/v1/tasks", {"title": "mine"}, token)
        self.assertEqual(status, 200, task)
        status, _, body = s.json_request(STACK, "DELETE", "/v1/auth/me", token=token)
        self.assertEqual(status, 200, body)
        for method, path, body in (("POST", "/v1/tasks", {"title": "after death"}),
                                   ("GET", "/v1/tasks", None),
                                   ("GET", f"/v1/tasks/{task['id']}", None),
                                   ("GET", "/v1/auth/me", None),
                                   ("DELETE", "/v1/auth/me", None)):
            with self.subTest(method=method, path=path):
                status, _, answer = s.json_request(STACK, method, path, body, token)
                self.assertEqual(status, 401, answer)
        count = STACK.pg.psql("SELECT count(*) FROM tasks.tasks WHERE title = 'after death'",
                              "todo")
        self.assertEqual(count, "0")

    def test_a_new_account_with_the_same_email_gets_working_tokens(self):
        token, _, email = s.sign_up(STACK)
        self.assertEqual(s.json_request(STACK, "DELETE", "/v1/auth/me", token=token)[0], 200)
        fresh, _, _ = s.sign_up(STACK, email=email)
        status, _, body = s.json_request(STACK, "POST", "/v1/tasks", {"title": "reborn"}, fresh)
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
