# A small image: a static amlsec on an empty base, run as a non-root user.
#   docker build -t amlsec .
#   docker run --rm -v "$PWD:/work" -w /work amlsec audit --snapshot estate.json
# Live audits need a credential: pass AZURE_* variables (service principal, workload
# identity) or AMLSEC_ACCESS_TOKEN with --auth token.

FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY rules rules
COPY benches benches
COPY docs docs
COPY README.md ARCHITECTURE.md LICENSE ./
# Alpine's Rust targets musl: the binary is statically linked.
RUN cargo build --release --locked --bin amlsec \
 && ./target/release/amlsec --version

FROM scratch
# rustls reads the system's CA bundle for ARM's TLS certificates.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/amlsec /usr/local/bin/amlsec
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/amlsec"]
CMD ["--help"]
