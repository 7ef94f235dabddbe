# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=govportal.settings.production \
    GOVPORTAL_VAR_DIR=/var/lib/govportal
WORKDIR /app
COPY pyproject.toml README.md ./
COPY govportal ./govportal
COPY identity ./identity
COPY procedures ./procedures
COPY feedback ./feedback
COPY payments ./payments
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --home /var/lib/govportal govportal \
 && mkdir -p /var/lib/govportal && chown govportal /var/lib/govportal \
 && SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput --verbosity 0
USER govportal
EXPOSE 8000
CMD ["gunicorn", "govportal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
