# PostgreSQL 15 for deploy/compose.yaml, from Debian 12's postgresql-15 package (no image pulled
# from a registry but the Debian base). It behaves like the official postgres image as far as
# the compose file uses it: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB on first start, the
# data in /var/lib/postgresql/data, /docker-entrypoint-initdb.d/*.sh and *.sql run once on an
# empty data folder, `postgres ARGS` as the command (postgres-entrypoint.sh).
#
#   docker build -f deploy/docker/postgres.Dockerfile -t synchub-postgres:local deploy/docker
#
# BASE as in Dockerfile (debian:bookworm; localhost/debian:bookworm made with debootstrap).
ARG BASE=debian:bookworm
FROM ${BASE}

# No cluster at install time (the entrypoint makes one in the volume); the server binaries
# first in PATH, like the official image.
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql \
 && install -d /docker-entrypoint-initdb.d

ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data

COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh

VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/bash", "/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
