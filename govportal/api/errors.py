"""Domain errors with a stable code.

Services raise `ApplicationError(code, detail)`; the API turns it into
`{"code": ..., "detail": ...}` and pages show `detail` as a message. The code is
for programs and never changes; the detail is for people and is translated.
"""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, code: str, detail: str, *, status_code: int | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
