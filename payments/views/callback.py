"""The gateway's server-to-server notification: one service call, an answer code, never a 500."""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from govportal.ratelimit import client_address
from payments.services import callback_process
from payments.workflow import Answer

logger = logging.getLogger(__name__)


@csrf_exempt  # signed by the gateway (HMAC-SHA256), not by a browser session
@require_http_methods(["GET", "POST"])
def paygov_callback(request):
    """Answer {"code", "message"}: 00 confirmed, 01 unknown reference, 02 already confirmed, 04 amount, 97 signature.

    The gateway retries until it gets a definitive answer; 99 (an error on our
    side) makes it try again later.
    """
    params = request.POST if request.method == "POST" else request.GET
    try:
        code, message = callback_process(params.dict(), remote_addr=client_address(request))
    except Exception:
        logger.exception("payment callback failed")
        code, message = Answer.OTHER.value, str(Answer.OTHER.label)
    return JsonResponse({"code": code, "message": message})
