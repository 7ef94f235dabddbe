"""Bench-only middleware: the number of SQL queries a request made, in the X-Bench-Queries response header.

Outermost in bench/settings_run.py, so sessions, authentication and the rate limits count too. Never in the
portal's own settings.
"""

from django.db import connections

from bench.load import QUERY_HEADER


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERY_HEADER] = str(count[0])
        return response
