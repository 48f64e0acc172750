# One image for every Commons component: `commons up`, `commons portal`,
# `commons radius` and `commons operator` all run from it.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin commons \
    && install -m 0755 target/release/commons /usr/local/bin/commons

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/commons --create-home commons
COPY --from=build /usr/local/bin/commons /usr/local/bin/commons
USER 10001:10001
WORKDIR /var/lib/commons
# Inside a container the listeners must face the pod network, not loopback.
ENV COMMONS_DATA_DIR=/var/lib/commons \
    COMMONS_PORTAL_LISTEN=0.0.0.0:8080 \
    COMMONS_RADIUS_AUTH_LISTEN=0.0.0.0:1812 \
    COMMONS_RADIUS_ACCT_LISTEN=0.0.0.0:1813 \
    COMMONS_OPS_LISTEN=0.0.0.0:9090 \
    COMMONS_LOG_FORMAT=json
EXPOSE 8080/tcp 1812/udp 1813/udp 9090/tcp
VOLUME ["/var/lib/commons"]
ENTRYPOINT ["/usr/local/bin/commons"]
CMD ["up"]
