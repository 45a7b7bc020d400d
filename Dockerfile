# The runtime image: `nav-adapter` and its runtime dependencies, nothing else.
#   docker build -t nav-kafka-adapter .
#   docker run nav-kafka-adapter lookups      # or: bridge, replay ..., redrive-dlq ..., --help
# The sandbox, the development tools and the examples are not copied in, so they are not in the
# wheel; the dependencies come from the hashed lock that `make install` and CI install too.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/nav-adapter
COPY requirements.lock /src/requirements.lock
RUN /opt/nav-adapter/bin/pip install --require-hashes -r /src/requirements.lock
COPY pyproject.toml README.md /src/
COPY adapter /src/adapter
COPY contracts /src/contracts
# The project alone (its dependencies are the lock's); the sandbox's script has no package here.
RUN /opt/nav-adapter/bin/pip install --no-deps /src/contracts /src \
    && rm -f /opt/nav-adapter/bin/nav-sandbox \
    && /opt/nav-adapter/bin/pip check

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/nav-adapter /opt/nav-adapter
ENV PATH=/opt/nav-adapter/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# A numeric user, so that runAsNonRoot can check it; no home, no shell login, nothing writable.
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080
ENTRYPOINT ["nav-adapter"]
CMD ["lookups"]
