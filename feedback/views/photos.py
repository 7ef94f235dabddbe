"""One report photo, streamed from the private storage to whoever may see it.

The reporter and the staff of the units that see the report (`identity.access`
"case.view"), or anyone once the unit has published the report on the board.
Anyone else gets a 404, as for an unknown photo: a photo that exists must not
be told apart from one that does not. Pages of every kind (the reporter's,
the workbench, the board) link here by the url name "report-photo".
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from feedback.models import ReportPhoto
from feedback.photos import photo_response
from identity import access


@require_GET
def report_photo(request, pk: int):
    photo = ReportPhoto.objects.select_related("report").filter(pk=pk).first()
    if photo is None or not (photo.report.is_public or access.can(request.user, "case.view", photo.report)):
        raise Http404
    return photo_response(photo)
