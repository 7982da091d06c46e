# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/var/lib/odop \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/odop/metrics

WORKDIR /app
# Noto Sans and Noto Sans Devanagari: the fonts of the tax invoice PDFs (adapter/web/tax_pdf.py).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install -e . \
    && useradd --system --uid 10001 --home /var/lib/odop odop \
    && mkdir -p /var/lib/odop/metrics && chown -R odop /var/lib/odop

USER odop
EXPOSE 8080
CMD ["odop-adapter", "web"]
