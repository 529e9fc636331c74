# netadmit's container image.
#   docker build -t netadmit:0.1.0 --build-arg NETADMIT_GIT_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker run --rm netadmit:0.1.0 version
#
# Build stage: the same Debian 12 packages and the same release preset as a developer's build.
FROM debian:12 AS build
WORKDIR /src
# The dependencies first, in a layer of their own, so that a source change does not reinstall
# them. install-deps.sh is the one list of build packages.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# Only the executable: tests and benchmarks are not part of the image. The build context holds
# no .git, so the commit `netadmit version` reports comes in as a build argument.
ARG NETADMIT_GIT_COMMIT=unknown
RUN cmake --preset release -DNETADMIT_BUILD_TESTS=OFF -DNETADMIT_BUILD_BENCH=OFF \
      -DNETADMIT_GIT_COMMIT="${NETADMIT_GIT_COMMIT}" \
 && cmake --build --preset release --target netadmit \
 && strip --strip-unneeded -o /netadmit build/release/cli/netadmit \
 && /netadmit version

# Runtime stage: debian:12-slim with only the shared libraries netadmit links. Not distroless:
# yaml-cpp and prometheus-cpp are not in distroless/cc, and copying .so files by hand would
# leave them outside any package manager's security updates; installed as Debian packages, the
# runtime libraries are the very builds the binary was linked against, and a test
# (tests/deploy/runtime_packages.py) checks this list against the binary's libraries. The
# image's /bin/sleep serves the Deployment's preStop pause.
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libc6 libgcc-s1 libstdc++6 libssl3 libyaml-cpp0.7 libprometheus-cpp-core1.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /netadmit /usr/local/bin/netadmit
# A numeric non-root user, so that Kubernetes can enforce runAsNonRoot without a passwd entry;
# 65532 is the "nonroot" user of distroless images, which many policies expect.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/netadmit"]
CMD ["--help"]
