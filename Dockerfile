# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/var/lib/odop \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/odop/metrics

WORKDIR /app
COPY . .
RUN pip install -e . \
    && useradd --system --uid 10001 --home /var/lib/odop odop \
    && mkdir -p /var/lib/odop/metrics && chown -R odop /var/lib/odop

USER odop
EXPOSE 8080
CMD ["odop-adapter", "web"]
