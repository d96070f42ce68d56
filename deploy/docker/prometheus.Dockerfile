# Prometheus for deploy/compose.yaml, from Debian 12's prometheus package (no image pulled from
# a registry but the Debian base). It runs as uid 10001 (the synchub image's user), because the
# reader's token it sends to the gateway's /metrics is a file of the secrets volume
# (/etc/synchub/secrets/reader.token, mode 0600, written by the `credentials` service). The
# compose file mounts deploy/prometheus/ (prometheus.yml, alerts.yml) at /etc/prometheus.
#
#   docker build -f deploy/docker/prometheus.Dockerfile -t synchub-prometheus:local deploy/docker
ARG BASE=debian:bookworm
FROM ${BASE}

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin synchub \
 && install -d -o synchub -g synchub -m 0755 /prometheus

USER synchub
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", \
     "--web.listen-address=0.0.0.0:9090"]
