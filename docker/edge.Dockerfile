# The Gridwall edge image, for linux/amd64 and linux/arm64 (Raspberry Pi 4/5, Jetson, x86 boxes):
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/edge.Dockerfile -t gridwall/edge .
# Enrol once (writes /etc/gridwall), then run the supervisor:
#   docker run --rm -v gridwall-etc:/etc/gridwall -v gridwall-data:/var/lib/gridwall gridwall/edge \
#     enrol --hub https://hub.example --token gwe_...
#   docker run -d --restart unless-stopped -v gridwall-etc:/etc/gridwall \
#     -v gridwall-data:/var/lib/gridwall gridwall/edge
FROM python:3.11-slim
ARG TARGETARCH
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libglib2.0-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/gridwall
COPY pyproject.toml README.md LICENSE ./
COPY contracts ./contracts
COPY edge ./edge
COPY hub ./hub
COPY models ./models
# onnxruntime and opencv-python-headless ship wheels for both amd64 and aarch64.
RUN pip install --no-cache-dir ".[edge]" \
 && useradd --system --home /var/lib/gridwall gridwall \
 && mkdir -p /etc/gridwall /var/lib/gridwall/models && chown -R gridwall /etc/gridwall /var/lib/gridwall
USER gridwall
VOLUME ["/etc/gridwall", "/var/lib/gridwall"]
ENTRYPOINT ["python", "-m", "edge"]
CMD ["supervise", "--config", "/etc/gridwall/edge.yaml"]
