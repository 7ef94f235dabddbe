# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=govportal.settings.production \
    GOVPORTAL_VAR_DIR=/var/lib/govportal
WORKDIR /app
# DejaVu Sans: the Vietnamese glyphs of the PDF receipts (payments/receipts.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY govportal ./govportal
COPY identity ./identity
COPY procedures ./procedures
COPY feedback ./feedback
COPY payments ./payments
# PIP_EXTRAS=s3 adds django-storages and boto3 for FILE_STORAGE=s3 (docker compose build --build-arg PIP_EXTRAS=s3).
ARG PIP_EXTRAS=
RUN pip install --no-cache-dir ".${PIP_EXTRAS:+[$PIP_EXTRAS]}"
COPY . .
# Static files are collected into the image; production settings need their required
# variables even for that, so the build gives throw-away values that never reach a container.
RUN useradd --system --home /var/lib/govportal govportal \
 && mkdir -p /var/lib/govportal && chown govportal /var/lib/govportal \
 && SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=build \
    PORTAL_URL=https://build EID_ISSUER=https://build EID_CLIENT_ID=build EID_CLIENT_SECRET=build \
    PAYGOV_ENDPOINT=https://build PAYGOV_SECRET=build \
    python manage.py collectstatic --noinput --verbosity 0
USER govportal
EXPOSE 8000
CMD ["gunicorn", "govportal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
