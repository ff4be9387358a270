# mockserver as a container: both providers and the control API on port 8080.
#   docker build -t mockserver .
#   docker run --rm -p 127.0.0.1:8080:8080 -e MOCKSERVER_ADMIN_TOKEN=change-me mockserver
# Choose a scenario with MOCKSERVER_SCENARIO: a bundled name, or a file you mount, e.g.
#   -v "$PWD/tests/sms.yaml:/scenarios/sms.yaml:ro" -e MOCKSERVER_SCENARIO=/scenarios/sms.yaml
# Keep the state across restarts (a dev server) in a named volume:
#   -v mockserver-state:/var/lib/mockserver -e MOCKSERVER_STATE=/var/lib/mockserver/state.json
# No VOLUME line: a CI container should start from its scenario each time, not from a volume
# docker compose would carry over between runs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080 \
    MOCKSERVER_SCENARIO=default \
    MOCKSERVER_CACHE_DIR=/var/cache/mockserver \
    MOCKSERVER_READY_FILE=/tmp/mockserver-ready.json

WORKDIR /opt/mockserver
COPY pyproject.toml setup.cfg setup.py README.md ./
COPY mockserver ./mockserver
COPY fixtures ./fixtures
COPY scenarios ./scenarios
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --no-create-home mockserver \
    && install -d -m 700 -o 10001 /var/cache/mockserver /var/lib/mockserver

USER 10001
# Validate the bundled catalogs and the default scenario once, here: every start then reads them
# back from the cache (the scenario's parsed YAML too).
RUN mockserver validate default
EXPOSE 8080

# The health check asks the address the server wrote to its ready file once it answered, so it
# follows any --port or --host given to `docker run ... mockserver run`. Inside the container it is
# a loopback client, and /_mock/health needs no admin token.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import json, os, urllib.request; url = json.load(open(os.environ['MOCKSERVER_READY_FILE']))['url']; urllib.request.urlopen(url + '/_mock/health', timeout=2)"]

CMD ["mockserver", "run"]
