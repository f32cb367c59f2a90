"""Browser tests: Playwright's assertions wait as long as the first answer may take.

`expect(...)` waits 5 s by default, whatever the page's own timeout; on a busy 2-core CI
machine the first answer of a freshly started Rasa server can take longer.
"""

from playwright.sync_api import expect

from tests.e2e.test_widget_in_browser import ANSWER_TIMEOUT

expect.set_options(timeout=ANSWER_TIMEOUT)
